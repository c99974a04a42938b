// JS functions imported by gemma_wasm.cc. The module object's gwOnText and
// gwYield are installed by js/engine.js for each generate call.
mergeInto(LibraryManager.library, {
#if USE_PTHREADS
  gw_js_on_text__deps: ['$PThread'],
  gw_js_on_text__postset: "Module['gwTerminateThreads'] = function() { PThread.terminateAllThreads(); };",
#endif
  gw_js_on_text: function(ptr, len) {
    return Module['gwOnText'](ptr >>> 0, len >>> 0);
  },
  gw_js_yield: function() {
    return Asyncify.handleSleep(function(wakeUp) {
      Module['gwYield'](function() { wakeUp(0); });
    });
  },
});

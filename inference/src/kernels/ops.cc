// Dynamic dispatch of the element-wise family (ops-inl.h) to the best target.
#include <cstddef>
#include <cstdint>

#include "kernels/kernels.h"

#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "kernels/ops.cc"
#include "hwy/foreach_target.h"  // IWYU pragma: keep
#include "hwy/highway.h"
#include "kernels/ops-inl.h"

#if HWY_ONCE
namespace gemma::kernels {

HWY_EXPORT(RMSNorm);
HWY_EXPORT(GeluTanhMul);
HWY_EXPORT(Softmax);
HWY_EXPORT(SoftCap);
HWY_EXPORT(Add);
HWY_EXPORT(Scale);
HWY_EXPORT(RopeNeox);
HWY_EXPORT(Dot);
HWY_EXPORT(DotF16);
HWY_EXPORT(Axpy);
HWY_EXPORT(AxpyF16);
HWY_EXPORT(F32ToF16Row);
HWY_EXPORT(F16ToF32Row);

void RMSNorm(const float* x, const float* w, size_t n, float eps, float* out) {
  HWY_DYNAMIC_DISPATCH(RMSNorm)(x, w, n, eps, out);
}
void GeluTanhMul(float* gate, const float* up, size_t n) {
  HWY_DYNAMIC_DISPATCH(GeluTanhMul)(gate, up, n);
}
void Softmax(float* x, size_t n) { HWY_DYNAMIC_DISPATCH(Softmax)(x, n); }
void SoftCap(float* x, size_t n, float cap) { HWY_DYNAMIC_DISPATCH(SoftCap)(x, n, cap); }
void Add(float* acc, const float* x, size_t n) { HWY_DYNAMIC_DISPATCH(Add)(acc, x, n); }
void Scale(float* x, size_t n, float s) { HWY_DYNAMIC_DISPATCH(Scale)(x, n, s); }
void RopeNeox(float* x, size_t head_dim, const float* cos, const float* sin) {
  HWY_DYNAMIC_DISPATCH(RopeNeox)(x, head_dim, cos, sin);
}
float Dot(const float* a, const float* b, size_t n) { return HWY_DYNAMIC_DISPATCH(Dot)(a, b, n); }
float DotF16(const float* a, const uint16_t* b, size_t n) {
  return HWY_DYNAMIC_DISPATCH(DotF16)(a, b, n);
}
void Axpy(float a, const float* x, float* y, size_t n) { HWY_DYNAMIC_DISPATCH(Axpy)(a, x, y, n); }
void AxpyF16(float a, const uint16_t* x, float* y, size_t n) {
  HWY_DYNAMIC_DISPATCH(AxpyF16)(a, x, y, n);
}
void F32ToF16Row(const float* x, uint16_t* out, size_t n) {
  HWY_DYNAMIC_DISPATCH(F32ToF16Row)(x, out, n);
}
void F16ToF32Row(const uint16_t* x, float* out, size_t n) {
  HWY_DYNAMIC_DISPATCH(F16ToF32Row)(x, out, n);
}

}  // namespace gemma::kernels
#endif  // HWY_ONCE

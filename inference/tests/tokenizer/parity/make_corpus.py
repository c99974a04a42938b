#!/usr/bin/env python3
"""Deterministic tokenizer parity corpus (and benchmark text).

  make_corpus.py corpus OUT.jsonl       # >= 2,000 strings, one JSON string per line
  make_corpus.py bench OUT.txt [BYTES]  # mixed multilingual text (default 1.2 MB)

Categories: every major script, emoji (ZWJ sequences, skin tones, flags, keycaps,
tag sequences), combining marks, code with tabs and indentation, runs of spaces /
tabs / newlines of every length 1..100, special-token text, control characters,
random Unicode code points and random valid UTF-8, numbers, URLs, markup, long
words, mixtures. Only the Python standard library; the same output on every run.
"""
import json
import random
import sys

SCRIPTS = {
    "en": "The quick brown fox jumps over the lazy dog. It's 5 o'clock somewhere, isn't it?",
    "fr": "L'été dernier, nous sommes allés à la plage où les enfants ont construit des châteaux.",
    "de": "Größere Veränderungen erfordern Geduld: Straße, Fußgänger und Übermäßigkeit.",
    "es": "¿Dónde está la biblioteca? ¡Qué día tan maravilloso para aprender español!",
    "pt": "A informação está disponível em português, não se preocupe com a ação.",
    "it": "Perché non andiamo al caffè più vicino? È già tardi, però.",
    "pl": "Zażółć gęślą jaźń. Łódź jest pięknym miastem w środkowej Polsce.",
    "cs": "Příliš žluťoučký kůň úpěl ďábelské ódy.",
    "tr": "Şu çılgın Türk ığdır'dan gelip öğrencilere çay ısmarladı.",
    "vi": "Tiếng Việt có nhiều dấu thanh: sắc, huyền, hỏi, ngã, nặng.",
    "ro": "Înțelepciunea și știința sunt împreună în această țară.",
    "hu": "Árvíztűrő tükörfúrógép és őszibarack.",
    "is": "Þú ert að læra íslensku, ég veit það vel.",
    "ru": "Съешь же ещё этих мягких французских булок, да выпей чаю.",
    "uk": "Чуєш їх, доцю, га? Кумедна ж ти, прощайся без ґольфів!",
    "sr": "Љубазни фењерџија чађавог лица хоће да ми покаже штос.",
    "bg": "Жълтата дюля беше щастлива, че пухът, който цъфна, замръзна като гьон.",
    "el": "Ξεσκεπάζω την ψυχοφθόρα βδελυγμία. Γειά σου κόσμε!",
    "ar": "صِف خَلقَ خَودِ كَمِثلِ الشَمسِ إِذ بَزَغَت يَحظى الضَجيعُ بِها نَجلاءَ مِعطارِ",
    "fa": "زبان فارسی یکی از زبان‌های هندواروپایی است و با خط عربی نوشته می‌شود.",
    "ur": "اردو ایک ہند آریائی زبان ہے جو پاکستان کی قومی زبان ہے۔",
    "he": "דג סקרן שט בים מאוכזב ולפתע מצא חברה. שָׁלוֹם עֲלֵיכֶם",
    "yi": "ייִדיש איז אַ שפּראַך מיט העברעישע אותיות.",
    "hi": "ऋषियों को सताने वाले दुष्ट राक्षसों के राजा रावण का सर्वनाश करने वाले विष्णुवतार भगवान श्रीराम।",
    "mr": "मराठी ही महाराष्ट्राची राजभाषा आहे.",
    "ne": "नेपाली भाषा नेपालको राष्ट्रभाषा हो।",
    "bn": "আমি বাংলায় গান গাই, আমি বাংলার গান গাই।",
    "pa": "ਪੰਜਾਬੀ ਭਾਸ਼ਾ ਗੁਰਮੁਖੀ ਲਿਪੀ ਵਿੱਚ ਲਿਖੀ ਜਾਂਦੀ ਹੈ।",
    "gu": "ગુજરાતી ભાષા ગુજરાત રાજ્યની મુખ્ય ભાષા છે.",
    "or": "ଓଡ଼ିଆ ଭାଷା ଓଡ଼ିଶାର ସରକାରୀ ଭାଷା ଅଟେ।",
    "ta": "யாமறிந்த மொழிகளிலே தமிழ்மொழி போல் இனிதாவது எங்கும் காணோம்.",
    "te": "తెలుగు భాష ద్రావిడ భాషా కుటుంబానికి చెందినది.",
    "kn": "ಕನ್ನಡ ಭಾಷೆ ಕರ್ನಾಟಕದ ಅಧಿಕೃತ ಭಾಷೆಯಾಗಿದೆ.",
    "ml": "മലയാളം കേരളത്തിലെ ഔദ്യോഗിക ഭാഷയാണ്.",
    "si": "සිංහල භාෂාව ශ්‍රී ලංකාවේ භාෂාවකි.",
    "th": "เป็นมนุษย์สุดประเสริฐเลิศคุณค่า กว่าบรรดาฝูงสัตว์เดรัจฉาน",
    "lo": "ພາສາລາວເປັນພາສາທາງການຂອງປະເທດລາວ.",
    "km": "ភាសាខ្មែរជាភាសាផ្លូវការនៃប្រទេសកម្ពុជា។",
    "my": "မြန်မာဘာသာသည် မြန်မာနိုင်ငံ၏ ရုံးသုံးဘာသာ ဖြစ်သည်။",
    "bo": "བོད་ཀྱི་སྐད་ཡིག་ནི་བོད་མིའི་སྐད་ཡིག་ཡིན།",
    "ka": "ქართული ენა ქართველური ენების ოჯახს მიეკუთვნება.",
    "hy": "Հայերենը հնդեվրոպական լեզվաընտանիքի առանձին ճյուղ է։",
    "am": "አማርኛ የኢትዮጵያ የሥራ ቋንቋ ነው።",
    "ti": "ትግርኛ ኣብ ኤርትራን ኢትዮጵያን ዝዝረብ ቋንቋ እዩ።",
    "zh": "我能吞下玻璃而不伤身体。天地玄黄，宇宙洪荒。",
    "zh-Hant": "我能吞下玻璃而不傷身體。繁體中文測試：龍、龜、鬱。",
    "ja": "いろはにほへと ちりぬるを わかよたれそ つねならむ。東京都は日本の首都です。カタカナ",
    "ko": "다람쥐 헌 쳇바퀴에 타고파. 한국어는 한글로 씁니다.",
    "mn": "Монгол хэл ᠮᠣᠩᠭᠣᠯ ᠬᠡᠯᠡ нь Монгол улсын албан ёсны хэл юм.",
    "ug": "ئۇيغۇر تىلى تۈركىي تىللار ئائىلىسىگە مەنسۇپ.",
    "dv": "ދިވެހި ބަސް ތާނަ އަކުރުން ލިޔެވެއެވެ.",
    "syr": "ܠܫܢܐ ܣܘܪܝܝܐ ܗܘ ܠܫܢܐ ܥܬܝܩܐ",
    "chr": "ᏣᎳᎩ ᎦᏬᏂᎯᏍᏗ ᎠᏂᏴᏫ ᏧᏂᏬᏂᎯᏍᏗ",
    "iu": "ᐃᓄᒃᑎᑐᑦ ᑲᓇᑕᒥ ᐅᖃᐅᓯᖅ",
    "yi_script": "ꆈꌠꁱꂷ ꀉꂿ ꄿꃅ",
    "nko": "ߒߞߏ ߛߓߍߛߎ߲ ߦߋ߫ ߡߊ߲߬ߘߋ߲߫",
    "tfng": "ⵜⴰⵎⴰⵣⵉⵖⵜ ⵜⴰⵏⴰⵡⴰⵢⵜ",
    "sw": "Kiswahili ni lugha ya Kibantu inayozungumzwa Afrika Mashariki.",
    "yo": "Èdè Yorùbá jẹ́ èdè tí a ń sọ ní ilẹ̀ Nàìjíríà.",
    "ha": "Hausa harshe ne da ake magana da shi a Najeriya da Nijar.",
    "got": "𐌲𐌿𐍄𐌹𐍃𐌺 𐍂𐌰𐌶𐌳𐌰 𐌹𐍃𐍄",
    "math": "∀ε>0 ∃δ>0: |x−a|<δ ⇒ |f(x)−f(a)|<ε; ∑ᵢ xᵢ² ≤ ∫₀^∞ e^{−t} dt ≈ 1.0 ℝ ℂ ℕ",
    "box": "┌──┬──┐\n│ab│cd│\n└──┴──┘ ░▒▓█ ←↑→↓ ★☆ ♠♣♥♦",
}

EMOJI = [
    "😀", "👍🏽", "👨‍👩‍👧‍👦", "🏳️‍🌈", "🏳️‍⚧️", "👩🏽‍💻", "🧑🏿‍🚀", "❤️‍🔥", "🐻‍❄️", "🇺🇸", "🇯🇵", "🇩🇪", "🇧🇷",
    "🇺🇳", "🏴󠁧󠁢󠁳󠁣󠁴󠁿", "🏴󠁧󠁢󠁷󠁬󠁳󠁿", "1️⃣", "#️⃣", "*️⃣", "©️", "™️", "☺️", "✌🏻", "🫶🏼", "👁️‍🗨️", "🤷‍♀️",
    "🧔🏻‍♂️", "💏🏾", "🫠", "🥲", "🪿", "🇦", "🇦🇦", "🇿🇿🇿",
]

COMBINING = [
    "e\u0301", "a\u0300\u0301\u0302", "n\u0303", "o\u0308\u0304", "Z\u0351\u036b\u0343\u036a\u0302\u036b",
    "\u1100\u1161\u11a8", "\u0915\u094d\u0937", "\u0628\u064e\u0651", "\u05e9\u05c1\u05b8",
    "\u0e01\u0e34\u0e4a", "i\u0307", "\u0041\u030a", "\u00c5", "\u212b", "x\u20d7", "\u0301",
    "\u0e33", "\u0bcd", "\u200d", "a\u034f\u0301",
]

CODE = [
    "def f(x):\n\treturn x * 2\n",
    "int main() {\n    printf(\"%d\\n\", 42);\n    return 0;\n}\n",
    "for (let i = 0; i < n; ++i) {\n\t\tif (a[i] === undefined) continue;\n\t}\n",
    "class Foo:\n    def __init__(self):\n        self.x = {'a': [1, 2, 3]}\n",
    "fn main() -> Result<(), Box<dyn Error>> {\n    let v: Vec<u8> = vec![0; 16];\n    Ok(())\n}\n",
    "SELECT id, name FROM users WHERE age >= 18 ORDER BY name DESC;",
    "all:\n\t$(CC) -O2 -o $@ $^\n\n.PHONY: clean\nclean:\n\trm -f *.o\n",
    "key:\n  - item: 1\n    nested:\n      deep: true\n\t# tab indented comment\n",
    "{\"a\": [1, 2.5e-3, true, null], \"b\": {\"c\": \"d\"}}",
    "<div class=\"x\">\n  <p>Hello &amp; <b>world</b></p>\n</div>",
    "if __name__ == '__main__':\n\tmain()\n\t\t\t# deeply\n",
    "#include <vector>\n\ntemplate <typename T>\nstruct S { T t; };\n",
    "    \t    mixed\t \tindentation\n\t    here",
    "$ ls -la | grep '^d' && echo \"done\" >> /tmp/log 2>&1",
    "x = [i**2 for i in range(10) if i % 2 == 0]  # squares",
]

SPECIAL = [
    "<bos>", "<eos>", "<pad>", "<unk>", "<mask>", "<start_of_turn>", "<end_of_turn>",
    "<start_of_image>", "<end_of_image>", "<image_soft_token>", "<unused0>", "<unused98>",
    "<unused99>", "<unused6241>", "[@BOS@]", "<2mass>", "[multimodal]", "<h1>", "</h1>", "<table>",
    "</code>", "<s>", "</s>", "<0x41>", "<0x0A>", "<start_of_turn", "start_of_turn>", "<<bos>>",
    "<bos><bos>", "<start_of_turn>user\nHi<end_of_turn>\n<start_of_turn>model\n",
    "text<eos>more", "<bo<bos>s>", "\u2581", "\u2581\u2581", "\u2581" * 5, "\u2581 \u2581",
    "<\u2581bos>", "<BOS>", "< bos >", "<end_of_turn><start_of_turn>",
]

URLS = [
    "https://example.com/path?query=1&x=%20y#frag", "mailto:someone@example.org",
    "http://例子.测试/路径", "ftp://[2001:db8::1]:21/file.tar.gz", "www.github.com/google/gemma.cpp",
]

NUMBERS = ["0", "42", "3.14159", "-1e-10", "1,234,567.89", "١٢٣٤٥", "१२३", "一二三", "0xDEADBEEF",
           "12:30:45", "2024-01-31", "+1 (555) 010-9999", "½ ¾ ⅞", "①②③", "Ⅻ"]


def rand_code_point(rng):
    while True:
        r = rng.random()
        if r < 0.3:
            cp = rng.randrange(0x20, 0x7F)
        elif r < 0.55:
            cp = rng.randrange(0x80, 0x800)
        elif r < 0.9:
            cp = rng.randrange(0x800, 0x10000)
        else:
            cp = rng.randrange(0x10000, 0x110000)
        if 0xD800 <= cp <= 0xDFFF:
            continue
        return chr(cp)


def rand_utf8(rng, n):
    """Random valid UTF-8: byte-length classes chosen uniformly."""
    out = []
    for _ in range(n):
        k = rng.randrange(4)
        lo, hi = [(0x00, 0x80), (0x80, 0x800), (0x800, 0x10000), (0x10000, 0x110000)][k]
        cp = rng.randrange(lo, hi)
        if 0xD800 <= cp <= 0xDFFF:
            cp = 0xFFFD
        out.append(chr(cp))
    return "".join(out)


def words(rng, lang, k):
    toks = SCRIPTS[lang].split(" ")
    if len(toks) < 3:  # scripts without spaces: cut by characters
        text = SCRIPTS[lang]
        a = rng.randrange(len(text))
        return text[a:a + rng.randrange(1, 40)]
    a = rng.randrange(len(toks))
    return " ".join(toks[a:a + k])


def corpus():
    rng = random.Random(20250101)
    out = []
    # Every script: the full sample, pieces of it, with surrounding spaces.
    for lang, text in SCRIPTS.items():
        out.append(text)
        out.append(" " + text)
        out.append(text + "\n")
        out.append(text.upper())
        for _ in range(8):
            out.append(words(rng, lang, rng.randrange(1, 8)))
    # Emoji alone, in sequences, in text.
    for e in EMOJI:
        out += [e, e * 3, "I ❤️ " + e + "!", e + " " + e]
    for _ in range(60):
        out.append("".join(rng.choice(EMOJI) for _ in range(rng.randrange(2, 10))))
    # Combining marks.
    for c in COMBINING:
        out += [c, "x" + c + "y", c * 4]
    for _ in range(40):
        base = rng.choice("aeiouAEIOUnc\u0915\u0e01\u05d0")
        out.append(base + "".join(chr(rng.randrange(0x300, 0x370)) for _ in range(rng.randrange(1, 12))))
    # Code.
    for c in CODE:
        out += [c, c.replace("    ", "\t"), c.replace("\t", "    "), "\n" + c + "\n\n"]
    # Whitespace runs of every length 1..100.
    for n in range(1, 101):
        out += [" " * n, "\t" * n, "\n" * n, "a" + " " * n + "b", "x" + "\t" * n + "y",
                "p" + "\n" * n + "q"]
    for n in range(1, 101, 7):
        out += ["\r\n" * n, " \t" * n, "\u3000" * n, "\u00a0" * n, " \n" * n, "\t \n" * n,
                "\u2581" * n, " " * n + "\u2581" * n]
    # Special-token text, alone and in context.
    for s in SPECIAL:
        out += [s, "x" + s + "y", " " + s + " ", s + "\n", s * 2]
    # Control characters and invisible characters.
    for cp in list(range(0x00, 0x20)) + [0x7F] + list(range(0x80, 0xA0)):
        out.append(chr(cp))
        out.append("a" + chr(cp) + "b")
    for cp in [0x200B, 0x200C, 0x200D, 0x200E, 0x200F, 0xFEFF, 0x2028, 0x2029, 0x2060, 0xFFFC,
               0xFFFD, 0xFFFE, 0xFFFF, 0xE000, 0xF8FF, 0x10FFFF, 0xE0001, 0x1D400]:
        out += [chr(cp), "w" + chr(cp) + "w"]
    # URLs, numbers, markup.
    for u in URLS + NUMBERS:
        out += [u, "see " + u + ".", u + u]
    for _ in range(30):
        out.append(" ".join(str(rng.randrange(10 ** rng.randrange(1, 12))) for _ in range(5)))
    # Random Unicode code points and random valid UTF-8.
    for _ in range(300):
        out.append("".join(rand_code_point(rng) for _ in range(rng.randrange(1, 60))))
    for _ in range(300):
        out.append(rand_utf8(rng, rng.randrange(1, 60)))
    # Long inputs: one long word, a long line, a long mixed paragraph.
    out.append("a" * 5000)
    out.append("ab" * 3000)
    out.append("\u2581a" * 1000)
    out.append(" ".join(SCRIPTS["en"] for _ in range(100)))
    out.append("".join(rng.choice(list(SCRIPTS.values())) for _ in range(50)))
    # Mixtures of everything.
    pools = [list(SCRIPTS.values()), EMOJI, COMBINING, CODE, SPECIAL, URLS, NUMBERS]
    for _ in range(400):
        parts = []
        for _ in range(rng.randrange(2, 7)):
            pool = rng.choice(pools)
            s = rng.choice(pool)
            if len(s) > 30 and rng.random() < 0.7:
                a = rng.randrange(len(s))
                s = s[a:a + rng.randrange(1, 30)]
            parts.append(s)
        sep = rng.choice(["", " ", "  ", "\n", "\t", " \n "])
        out.append(sep.join(parts))
    return out


def bench_text(size):
    """Mixed multilingual text; every line differs (no help from word caches)."""
    rng = random.Random(7)
    langs = [k for k in SCRIPTS if k not in ("box",)]
    weights = [8 if k in ("en", "zh", "es", "fr", "de", "ru", "ja", "ar", "hi", "pt", "ko") else 1
               for k in langs]
    lines = []
    total = 0
    while total < size:
        r = rng.random()
        if r < 0.8:
            lang = rng.choices(langs, weights)[0]
            line = " ".join(words(rng, lang, rng.randrange(3, 12)) for _ in range(rng.randrange(1, 5)))
        elif r < 0.9:
            line = rng.choice(CODE).rstrip("\n")
        elif r < 0.95:
            line = " ".join(rng.choice(EMOJI + NUMBERS + URLS) for _ in range(rng.randrange(2, 8)))
        else:
            line = words(rng, "en", 8) + " " + rng.choice(EMOJI) + " " + words(rng, "zh", 1)
        line += " " + str(rng.randrange(1000000))  # keeps every line unique
        lines.append(line)
        total += len(line.encode("utf-8")) + 1
    return "\n".join(lines) + "\n"


def main():
    if len(sys.argv) >= 3 and sys.argv[1] == "corpus":
        items = corpus()
        with open(sys.argv[2], "w", encoding="utf-8") as f:
            for s in items:
                f.write(json.dumps(s, ensure_ascii=False) + "\n")
        print(f"make_corpus: {len(items)} strings -> {sys.argv[2]}")
    elif len(sys.argv) >= 3 and sys.argv[1] == "bench":
        size = int(sys.argv[3]) if len(sys.argv) > 3 else 1_200_000
        text = bench_text(size)
        with open(sys.argv[2], "w", encoding="utf-8") as f:
            f.write(text)
        print(f"make_corpus: {len(text.encode('utf-8'))} bytes -> {sys.argv[2]}")
    else:
        print(__doc__)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python3
"""Build encoded and damaged test cases from zhfix's own corpus, and score a zhfix binary on them.

    python3 corpus/gen.py [--seed 1] [--n 40] OUT        write OUT/<suite>/<kind>/NNNN.{in,expected}
                                                         and OUT/manifest.jsonl (suites: decode,
                                                         mojibake, lossy, clean, fp)
    python3 corpus/gen.py --check BIN OUT [--workers 2] [--show 2] [--json FILE]
                                                         run BIN on every case, print exact% per kind
    python3 corpus/gen.py --lint                         check the corpus is canonical, print sizes

Standard library only (Python 3.11). The output depends only on the corpus text, --seed and --n:
every kind draws from its own random.Random seeded with a string, and files are read in sorted
order. Every case is checked before it is written: the damage must be undone exactly by the
inverse it models (decode with the right codec, re-encode with the wrong one, strip what was
injected), so a case that zhfix fails is zhfix's fault, not the generator's.

The case file handed to zhfix in --check mode is copied to a neutral name (case.txt), so neither
the suite nor the kind leaks through the path.
"""

import argparse
import concurrent.futures
import html
import json
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile
import unicodedata
from pathlib import Path

HERE = Path(__file__).resolve().parent
REGIONS = {'simplified': 'hans', 'traditional/taiwan': 'tw', 'traditional/hongkong': 'hk'}
MIN_BYTES = {'simplified': 36 * 1024, 'traditional/taiwan': 20 * 1024, 'traditional/hongkong': 16 * 1024}

HAN_RE = re.compile('[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003134f]')
HAN_RUN_RE = re.compile('[\u3400-\u4dbf\u4e00-\u9fff\U00020000-\U0003134f]{2,}')
CJK_PUNCT = '，。、；：？！“”‘’「」『』《》〈〉（）【】——…·'
CLAUSE_RE = re.compile('[^，。；：？！]+[，。；：？！]?')
SENTENCE_RE = re.compile('[^。？！]+[。？！]?[”」]?')


def is_han(c):
    return bool(HAN_RE.match(c))


def is_cjk_neighbour(c):
    return is_han(c) or c in CJK_PUNCT


# ----------------------------------------------------------------------------- corpus

class Line:
    __slots__ = ('text', 'region', 'file', 'doc', 'pos')

    def __init__(self, text, region, file, doc, pos):
        self.text, self.region, self.file, self.doc, self.pos = text, region, file, doc, pos


def load_corpus(root=HERE):
    """Paragraph lines in file order, each tagged with its region and article (doc) number."""
    lines = []
    doc = 0
    for sub, region in REGIONS.items():
        for path in sorted((root / sub).glob('*.txt')):
            rel = str(path.relative_to(root))
            pos = 0
            for raw in path.read_text(encoding='utf-8').split('\n'):
                if raw == '':
                    doc += 1
                    continue
                lines.append(Line(raw, region, rel, doc, pos))
                pos += 1
            doc += 1
    return lines


def articles(lines):
    out = {}
    for ln in lines:
        out.setdefault(ln.doc, []).append(ln)
    return [out[k] for k in sorted(out)]


def canonical_problems(s):
    """Reasons a paragraph is not in the form the clean suite expects back."""
    probs = []
    if s != s.strip() or '  ' in s:
        probs.append('spacing')
    if re.search('[\t\u00a0\u3000\u200b\ufeff\r]', s):
        probs.append('odd whitespace')
    if re.search('[\uff10-\uff19\uff21-\uff3a\uff41-\uff5a]', s):
        probs.append('full-width alnum')
    if re.search('[<>&"]', s):
        probs.append('html-ish or ASCII quote')
    if re.search('[\ufe10-\ufe6f]', s):
        probs.append('small/vertical form')
    if unicodedata.normalize('NFC', s) != s:
        probs.append('not NFC')
    for i, c in enumerate(s):
        if c in ',.:;!?()':
            left = s[i - 1] if i else ''
            right = s[i + 1] if i + 1 < len(s) else ''
            if (left and is_cjk_neighbour(left)) or (right and is_cjk_neighbour(right)):
                probs.append(f'ASCII {c!r} next to CJK')
    return probs


def lint(root=HERE):
    ok = True
    for sub in REGIONS:
        total = 0
        for path in sorted((root / sub).glob('*.txt')):
            b = path.read_bytes()
            total += len(b)
            s = b.decode('utf-8')
            if s.startswith('\ufeff') or '\r' in s or not s.endswith('\n') or '\n\n\n' in s or s.endswith('\n\n'):
                print(f'{path}: BOM, CR, missing final LF or extra blank lines')
                ok = False
            for n, line in enumerate(s.split('\n'), 1):
                for p in canonical_problems(line):
                    print(f'{path}:{n}: {p}')
                    ok = False
        need = MIN_BYTES[sub]
        print(f'{sub}: {total} bytes (minimum {need}){"" if total >= need else "  TOO SMALL"}')
        ok &= total >= need
    return ok


# ----------------------------------------------------------------------------- codecs

_SLOPPY_DEC = []
for _b in range(256):
    try:
        _SLOPPY_DEC.append(bytes([_b]).decode('cp1252'))
    except UnicodeDecodeError:
        # WHATWG windows-1252 (what browsers and most mojibake producers use) keeps the five
        # holes 81 8D 8F 90 9D as C1 controls instead of failing.
        _SLOPPY_DEC.append(chr(_b))
_SLOPPY_ENC = {c: b for b, c in enumerate(_SLOPPY_DEC)}


def cp1252_decode(b):
    return ''.join(_SLOPPY_DEC[x] for x in b)


def cp1252_encode(s):
    try:
        return bytes(_SLOPPY_ENC[c] for c in s)
    except KeyError:
        raise ValueError('not in windows-1252') from None


def enc_gbk(s):
    b = s.encode('gbk')
    if b.decode('gb18030') != s:       # gbk and gb18030 must agree, or the truth is ambiguous
        raise ValueError('gbk/gb18030 disagree')
    return b


def enc_big5(s):
    b = s.encode('cp950')
    # Big5 decoders differ on a handful of code points; keep only text they all read alike.
    if b.decode('big5hkscs') != s or b.decode('big5', errors='replace') != s:
        raise ValueError('big5 readers disagree')
    return b


ENCODINGS = ['utf-8', 'utf-8-bom', 'gbk', 'gb18030', 'big5', 'hz',
             'utf-16le', 'utf-16be', 'utf-16le-bom', 'utf-16be-bom']


def encode_as(text, enc):
    if enc == 'utf-8':
        return text.encode('utf-8')
    if enc == 'utf-8-bom':
        return b'\xef\xbb\xbf' + text.encode('utf-8')
    if enc == 'gbk':
        return enc_gbk(text)
    if enc == 'gb18030':
        return text.encode('gb18030')
    if enc == 'big5':
        return enc_big5(text)
    if enc == 'hz':
        return text.encode('hz')
    if enc.startswith('utf-16'):
        body = text.encode('utf-16-le' if 'le' in enc else 'utf-16-be')
        if enc.endswith('-bom'):
            body = (b'\xff\xfe' if 'le' in enc else b'\xfe\xff') + body
        return body
    raise ValueError(enc)


def decode_as(data, enc):
    """The exact inverse of encode_as, used to prove each decode case."""
    if enc == 'utf-8-bom':
        assert data.startswith(b'\xef\xbb\xbf')
        return data[3:].decode('utf-8')
    if enc.endswith('-bom'):
        data = data[2:]
    py = {'utf-8': 'utf-8', 'gbk': 'gbk', 'gb18030': 'gb18030', 'big5': 'cp950', 'hz': 'hz',
          'utf-16le': 'utf-16-le', 'utf-16be': 'utf-16-be', 'utf-16le-bom': 'utf-16-le',
          'utf-16be-bom': 'utf-16-be'}[enc]
    return data.decode(py)


# ----------------------------------------------------------------------------- mojibake

_JUNK_RE = re.compile('[\x00-\x08\x0b-\x1f\x7f-\x9f\ue000-\uf8ff\ufffd\ufeff]')
WRITERS = {'utf8': (lambda s: s.encode('utf-8'), lambda b: b.decode('utf-8')),
           'gbk': (enc_gbk, lambda b: b.decode('gbk')),
           'big5': (enc_big5, lambda b: b.decode('cp950'))}
# A multibyte reader must agree with its WHATWG-like sibling and produce no PUA, controls or
# U+FFFD; otherwise the garbled text depends on which decoder the damage came from.
MB_READERS = {'gbk': ('gbk', 'gb18030'), 'big5': ('cp950', 'big5hkscs'), 'shift_jis': ('cp932', 'shift_jis')}


def read_wrong(b, reader):
    if reader == 'latin1':
        return b.decode('latin-1')
    if reader == 'cp1252':
        return cp1252_decode(b)
    first, second = MB_READERS[reader]
    s = b.decode(first)
    if b.decode(second) != s or _JUNK_RE.search(s.replace('\n', '')):
        raise ValueError('ambiguous multibyte reading')
    return s


def unread_wrong(s, reader):
    if reader == 'latin1':
        return s.encode('latin-1')
    if reader == 'cp1252':
        return cp1252_encode(s)
    return s.encode(MB_READERS[reader][0])


# kind -> (writer, reader, regions the source may come from)
MOJI = {
    'utf8_as_latin1': ('utf8', 'latin1', None),
    'utf8_as_cp1252': ('utf8', 'cp1252', None),
    'gbk_as_latin1': ('gbk', 'latin1', {'hans'}),
    'gbk_as_cp1252': ('gbk', 'cp1252', {'hans'}),
    'big5_as_cp1252': ('big5', 'cp1252', {'tw', 'hk'}),
    'utf8_as_gbk': ('utf8', 'gbk', {'hans'}),
    'gbk_as_big5': ('gbk', 'big5', {'hans'}),
    'big5_as_gbk': ('big5', 'gbk', {'tw', 'hk'}),
    'utf8_as_shift_jis': ('utf8', 'shift_jis', None),
}
MULTIBYTE_KINDS = {k for k, v in MOJI.items() if v[1] in MB_READERS}
MOJI_KINDS = list(MOJI) + ['double_utf8', 'html_entities', 'partial']
LOSSY_KINDS = ['utf8_as_gbk_lossy', 'utf8_as_big5_lossy', 'gbk_as_utf8_lossy', 'kunjinkao']


def garble(text, kind, rng):
    """Garbled form of text, or ValueError/UnicodeError when the damage is not exactly invertible."""
    if kind in MOJI:
        writer, reader, _ = MOJI[kind]
        enc, dec = WRITERS[writer]
        g = read_wrong(enc(text), reader)
        if g == text:
            raise ValueError('no-op')
        assert dec(unread_wrong(g, reader)) == text, kind
        return g
    if kind == 'double_utf8':
        g = cp1252_decode(cp1252_decode(text.encode('utf-8')).encode('utf-8'))
        assert cp1252_encode(cp1252_encode(g).decode('utf-8')).decode('utf-8') == text
        return g
    if kind == 'html_entities':
        hexa = rng.random() < 0.5
        g = ''.join(c if ord(c) < 128 else (f'&#x{ord(c):X};' if hexa else f'&#{ord(c)};') for c in text)
        assert html.unescape(g) == text
        return g
    if kind == 'utf8_as_gbk_lossy':
        g = text.encode('utf-8').decode('gbk', errors='replace')
    elif kind == 'utf8_as_big5_lossy':
        g = text.encode('utf-8').decode('cp950', errors='replace')
    elif kind == 'gbk_as_utf8_lossy':
        g = enc_gbk(text).decode('utf-8', errors='replace')
    elif kind == 'kunjinkao':
        # GBK read as UTF-8 (each bad byte becomes U+FFFD), saved as UTF-8, read back as GBK:
        # every EF BF BD EF BF BD pair turns into 锟斤拷.
        g = enc_gbk(text).decode('utf-8', errors='replace').encode('utf-8').decode('gbk', errors='replace')
        if '锟斤拷' not in g:
            raise ValueError('no 锟斤拷')
        return g
    else:
        raise ValueError(kind)
    if '\ufffd' not in g:
        raise ValueError('not lossy')
    return g


# ----------------------------------------------------------------------------- cleaning damage

# Characters with a single reading in standard Mandarin (simplified and traditional forms share
# it). Written for this project; polyphonic characters are left out on purpose so the truth is
# never ambiguous.
PINYIN_SRC = '''
ài:爱愛 ān:安 àn:案岸 bān:班 bàn:办辦 bǎo:宝寶保 bào:报報 běi:北 bèi:备備 běn:本 bǐ:比
biān:边邊 biǎo:表 bìng:病 bù:步部 cái:才材财財 cān:餐 cǎo:草 céng:层層 chǎn:产產 chéng:城成
chū:出初 chǔ:础礎 chuán:船 chuāng:窗 cūn:村 dài:代带帶 dàn:蛋 dǎo:岛島 dēng:灯燈 dì:第弟
diàn:电電店 dìng:定 dōng:东東冬 dòng:动動 dú:独獨 duì:队隊对對 ér:儿兒而 fǎ:法 fàn:饭飯
fāng:方 fáng:房 fēi:非飞飛 fèn:份 fēng:风風丰豐 fú:福 fù:妇婦 gǎi:改 gǎn:感敢 gāng:刚剛
gāo:高 gē:歌哥 gōng:工公功 gǒu:狗 gǔ:古股 guǎn:馆館管 guǎng:广廣 guó:国國 guǒ:果 hǎi:海
hàn:汉漢 hé:河 hēi:黑 hú:湖 huā:花 huà:话話画畫 huán:环環 huǒ:火 jī:机機鸡雞 jí:级級急集
jì:技计計 jiā:家加 jiǎn:简簡 jiàn:建件 jiāng:江 jiǎng:讲講奖獎 jiāo:交 jiē:街 jīn:金今
jìn:进進近 jīng:京经經 jiǔ:九久酒 jiù:就旧舊 jú:局 jǔ:举舉 kāi:开開 kǎo:考 kè:客课課 kǒu:口
kuài:快块塊 lái:来來 lán:蓝藍 lǎo:老 lěng:冷 lǐ:里理礼禮 lì:力历歷立利 lián:联聯 liàn:练練
liǎng:两兩 lín:林 líng:零 liú:流 lóu:楼樓 lù:路 mǎ:马馬 mǎi:买買 mài:卖賣 màn:慢 máng:忙
měi:美每 mén:门門 mín:民 míng:明名 mù:木目 nán:南 néng:能 nián:年 niú:牛 nǚ:女 péng:朋
pǐn:品 píng:平评評 qī:七期 qí:骑騎 qì:气氣汽 qiān:千 qián:前钱錢 qīng:青清轻輕 qíng:情
qiū:秋 qiú:球 qù:去 quán:全 rén:人 rì:日 ròu:肉 sān:三 shān:山 shāng:商 shè:社
shēng:生声聲 shī:师師诗詩 shí:十时時实實 shì:市事世视視试試室 shǒu:手首 shū:书書 shuǐ:水
sì:四 sòng:送 suì:岁歲 tài:太 tiān:天 tián:田 tīng:听聽 tú:图圖 tuán:团團 wài:外 wán:完玩
wǎn:晚 wǎng:网網 wén:文 wèn:问問 wǔ:五午 wù:物 xī:西希 xí:习習 xǐ:喜洗 xià:下夏 xiān:先
xiàn:线線綫现現 xiāng:香乡鄉 xiǎng:想 xiǎo:小 xiào:笑 xīn:心新 xìn:信 xīng:星 xué:学學
yán:研言 yǎn:眼 yáng:羊阳陽 yào:药藥 yè:业業夜 yī:医醫 yǐ:已以 yì:意艺藝议議 yīn:因音
yín:银銀 yǒu:友有 yòu:又右 yú:鱼魚 yuǎn:远遠 yuàn:院 yuè:月 yún:云雲 zài:在再 zǎo:早
zhàn:战戰站 zhǎn:展 zhǎng:掌 zhēn:真 zhèng:政 zhī:知 zhí:直职職 zhǐ:纸紙 zhōng:钟鐘
zhòng:众眾 zhōu:州周 zhǔ:主 zhù:住助 zhuān:专專 zì:字自 zǒu:走 zú:足族 zuì:最 zuó:昨
zuò:作坐座 zǒng:总總 yōu:优優 fā:發 tǒng:统統 wèi:卫衛衞 guī:规規
'''


def _pinyin_table():
    table = {}
    for item in PINYIN_SRC.split():
        reading, chars = item.split(':')
        for c in chars:
            assert c not in table, f'{c} listed twice'
            table[c] = unicodedata.normalize('NFC', reading)
    return table


PINYIN = _pinyin_table()
PINYIN_RE = re.compile(r'\(([a-zāáǎàēéěèīíǐìōóǒòūúǔùǖǘǚǜü]+)\)')


def damage_pinyin(text, rng):
    spots = [i for i, c in enumerate(text) if c in PINYIN]
    han = sum(1 for c in text if is_han(c))
    want = max(1, round(han * rng.uniform(0.05, 0.15)))
    if not spots:
        raise ValueError('no annotatable hanzi')
    chosen = set(rng.sample(spots, min(want, len(spots))))
    out = ''.join(c + (f'({PINYIN[c]})' if i in chosen else '') for i, c in enumerate(text))
    assert PINYIN_RE.sub('', out) == text
    return out


ENTITIES = {'“': '&ldquo;', '”': '&rdquo;', '‘': '&lsquo;', '’': '&rsquo;', '—': '&mdash;',
            '…': '&hellip;', '·': '&middot;', '×': '&times;', '℃': '&#8451;', '±': '&plusmn;'}
LINE_END_TAGS = ['</p>', '<br>', '<br />', '<br/>', '</div>']


def damage_html(text, rng):
    lines = text.split('\n')
    out = []
    for ln in lines:
        if ln == '':
            out.append(ln)
            continue
        if rng.random() < 0.7:
            ln = ''.join(ENTITIES[c] if c in ENTITIES and rng.random() < 0.8 else c for c in ln)
        if rng.random() < 0.6:
            ln = '<p>' + ln
        if rng.random() < 0.7:
            ln = ln + rng.choice(LINE_END_TAGS)
        out.append(ln)
    g = '\n'.join(out)
    if g == text:
        g = '<p>' + g if not g.startswith('\n') else g
    if g == text:
        raise ValueError('no-op')
    assert html.unescape(re.sub(r'<[^>]*>', '', g)) == text
    return g


PUNCT_TO_ASCII = {'，': ',', '：': ':', '；': ';', '！': '!', '？': '?', '（': '(', '）': ')'}


def damage_punct(text, rng):
    """ASCII for full-width punctuation only between two CJK neighbours, never two in a row."""
    chars = list(text)
    spots = [i for i, c in enumerate(chars) if c in PUNCT_TO_ASCII and 0 < i < len(chars) - 1
             and is_cjk_neighbour(chars[i - 1]) and is_cjk_neighbour(chars[i + 1])
             and chars[i - 1] not in PUNCT_TO_ASCII and chars[i + 1] not in PUNCT_TO_ASCII]
    if not spots:
        raise ValueError('no spot')
    rate = rng.uniform(0.4, 1.0)
    chosen = [i for i in spots if rng.random() < rate] or [rng.choice(spots)]
    for i in chosen:
        chars[i] = PUNCT_TO_ASCII[chars[i]]
    g = ''.join(chars)
    back = {v: k for k, v in PUNCT_TO_ASCII.items()}
    assert len(g) == len(text) and all(a == b or back.get(a) == b for a, b in zip(g, text))
    return g


def damage_width(text, rng):
    runs = list(re.finditer('[0-9A-Za-z]+', text))
    if not runs:
        raise ValueError('no ASCII alnum')
    chosen = [m for m in runs if rng.random() < 0.6] or [rng.choice(runs)]
    chars = list(text)
    for m in chosen:
        for i in range(m.start(), m.end()):
            chars[i] = chr(ord(chars[i]) + 0xFEE0)
    g = ''.join(chars)
    assert unicodedata.normalize('NFKC', g) == unicodedata.normalize('NFKC', text)
    return g


CLEAN = {'pinyin': (damage_pinyin, ['--rules', 'pinyin']),
         'html': (damage_html, ['--rules', 'html']),
         'punct': (damage_punct, ['--rules', 'punct,width']),
         'width': (damage_width, ['--rules', 'punct,width'])}


# ----------------------------------------------------------------------------- sampling

class Sampler:
    def __init__(self, lines):
        self.lines = lines
        self.docs = articles(lines)

    def line(self, rng, regions=None):
        pool = self.lines if regions is None else [x for x in self.lines if x.region in regions]
        return rng.choice(pool)

    def title(self, rng, regions=None):
        for _ in range(1000):
            runs = HAN_RUN_RE.findall(self.line(rng, regions).text)
            if runs:
                run = rng.choice(runs)
                n = rng.randint(2, min(8, len(run)))
                start = rng.randint(0, len(run) - n)
                return run[start:start + n]
        raise RuntimeError('no hanzi runs in corpus')

    def paragraphs(self, rng, lo, hi, regions=None):
        """lo..hi consecutive lines of one article (fewer if the article is short)."""
        doc = rng.choice([d for d in self.docs if regions is None or d[0].region in regions])
        n = rng.randint(lo, hi)
        start = rng.randint(0, max(0, len(doc) - n))
        return '\n'.join(x.text for x in doc[start:start + n])

    def many(self, rng, lo, hi, regions=None):
        """lo..hi lines across articles, blank separators kept, as the files hold them."""
        region = rng.choice(sorted(regions)) if regions else rng.choice(['hans', 'tw', 'hk'])
        flat = []
        for d in self.docs:
            if d[0].region == region:
                flat.extend(x.text for x in d)
                flat.append('')
        n = rng.randint(lo, hi)
        start = rng.randint(0, max(0, len(flat) - n))
        return '\n'.join(flat[start:start + n]).strip('\n')

    def outside_gbk_piece(self, rng):
        """A clause, sentence, line or pair of lines holding at least one character GBK lacks."""
        if not hasattr(self, '_rare'):
            self._rare = [i for i, x in enumerate(self.lines) if outside_gbk(x.text)]
        if not self._rare:
            raise RuntimeError('corpus has no character outside GBK')
        i = rng.choice(self._rare)
        text = self.lines[i].text
        shape = rng.choice(['clause', 'sentence', 'line', 'pair'])
        if shape == 'pair' and i + 1 < len(self.lines) and self.lines[i + 1].doc == self.lines[i].doc:
            return text + '\n' + self.lines[i + 1].text
        if shape in ('clause', 'sentence'):
            parts = [p for p in (CLAUSE_RE if shape == 'clause' else SENTENCE_RE).findall(text) if outside_gbk(p)]
            return rng.choice(parts)
        return text

    def piece(self, rng, shape, regions=None):
        if shape == 'title':
            return self.title(rng, regions)
        text = self.line(rng, regions).text
        if shape == 'clause':
            return rng.choice(CLAUSE_RE.findall(text))
        if shape == 'sentence':
            return rng.choice(SENTENCE_RE.findall(text))
        if shape == 'line':
            return text
        if shape == 'lines':
            return self.paragraphs(rng, 2, 5, regions)
        if shape == 'doc':
            return self.many(rng, 6, 20, regions)
        raise ValueError(shape)


def han_count(s):
    return sum(1 for c in s if is_han(c))


def outside_gbk(s):
    try:
        s.encode('gbk')
        return False
    except UnicodeEncodeError:
        return True


def kind_rng(seed, suite, kind):
    return random.Random(f'zhfix-corpus:{seed}:{suite}:{kind}')


# ----------------------------------------------------------------------------- case builders

def build_decode(sampler, seed, n):
    for enc in ENCODINGS:
        rng = kind_rng(seed, 'decode', enc)
        seen = set()
        made = tries = rare_made = rare_tries = 0
        while made < n and tries < 50 * n:
            tries += 1
            shape = rng.choice(['title', 'line', 'line', 'lines', 'doc'])
            regions = {'hans'} if enc in ('gbk', 'gb18030', 'hz') else {'tw', 'hk'} if enc == 'big5' else None
            text = sampler.piece(rng, shape, regions)
            # A third of gb18030 cases need 4-byte sequences, else gb18030 is just gbk again.
            # The corpus holds few such lines, so stop asking once they are used up.
            if enc == 'gb18030' and rare_made * 3 <= made and rare_tries < 20 * n:
                rare_tries += 1
                text = sampler.outside_gbk_piece(rng)
            if shape != 'title' and rng.random() < 0.8:
                text += '\n'
            if text in seen:
                continue
            try:
                data = encode_as(text, enc)
            except (UnicodeError, ValueError):
                continue
            assert decode_as(data, enc) == text, enc
            seen.add(text)
            made += 1
            rare_made += outside_gbk(text)
            yield 'decode', enc, ['--rules', 'none'], data, text


# Text that survives a multibyte-as-multibyte round trip is short (Big5 hanzi often land in GBK's
# private-use area, UTF-8 in Shift_JIS holes), so those kinds also take titles and need only 3 hanzi.
MB_SHAPES = ['clause', 'clause', 'clause', 'sentence', 'sentence', 'title']
SB_SHAPES = ['clause', 'sentence', 'sentence', 'line', 'line', 'lines']


def build_mojibake(sampler, seed, n):
    for kind in MOJI_KINDS + LOSSY_KINDS:
        rng = kind_rng(seed, 'mojibake', kind)
        seen = set()
        made = tries = 0
        regions = MOJI[kind][2] if kind in MOJI else {'hans'} if kind in ('gbk_as_utf8_lossy', 'kunjinkao') else None
        while made < n and tries < 4000 * n:
            tries += 1
            if kind == 'partial':
                case = partial_case(sampler, rng)
                if case is None or case[1] in seen:
                    continue
                g, text = case
            else:
                shapes = MB_SHAPES if kind in MULTIBYTE_KINDS else SB_SHAPES
                text = sampler.piece(rng, rng.choice(shapes), regions)
                if han_count(text) < (3 if kind in MULTIBYTE_KINDS else 5):
                    continue
                text += '\n'
                if text in seen:
                    continue
                try:
                    g = garble(text, kind, rng)
                except (UnicodeError, ValueError):
                    continue
            seen.add(text)
            made += 1
            suite = 'lossy' if kind in LOSSY_KINDS else 'mojibake'
            args = ['--rules', 'html'] if kind == 'html_entities' else ['--rules', 'mojibake']
            yield suite, kind, args, g.encode('utf-8'), text


def partial_case(sampler, rng):
    """A 3-8 paragraph article with exactly one paragraph garbled by a random exact kind."""
    kind = rng.choice(list(MOJI) + ['double_utf8'])
    regions = MOJI[kind][2] if kind in MOJI else None
    doc = rng.choice([d for d in sampler.docs if regions is None or d[0].region in regions])
    if len(doc) < 3:
        return None
    n = rng.randint(3, min(8, len(doc)))
    start = rng.randint(0, len(doc) - n)
    lines = [x.text for x in doc[start:start + n]]
    j = rng.randrange(len(lines))
    try:
        g = garble(lines[j], kind, rng)
    except (UnicodeError, ValueError):
        return None
    if '\n' in g:
        return None
    damaged = lines[:j] + [g] + lines[j + 1:]
    return '\n'.join(damaged) + '\n', '\n'.join(lines) + '\n'


def build_clean(sampler, seed, n):
    for kind, (damage, args) in CLEAN.items():
        rng = kind_rng(seed, 'clean', kind)
        seen = set()
        made = tries = 0
        while made < n and tries < 200 * n:
            tries += 1
            text = sampler.piece(rng, rng.choice(['line', 'line', 'lines']))
            if any(canonical_problems(x) for x in text.split('\n')):
                continue
            text += '\n'
            if text in seen:
                continue
            try:
                g = damage(text, rng)
            except ValueError:
                continue
            seen.add(text)
            made += 1
            yield 'clean', kind, args, g.encode('utf-8'), text


def build_fp(sampler, seed, n):
    """Clean text must come back byte-identical: all default rules, and mojibake alone."""
    for kind, args in (('default', []), ('mojibake', ['--rules', 'mojibake'])):
        rng = kind_rng(seed, 'fp', kind)
        seen = set()
        made = tries = 0
        while made < n and tries < 200 * n:
            tries += 1
            text = sampler.piece(rng, rng.choice(['line', 'line', 'lines', 'doc'])) + '\n'
            if text in seen or any(canonical_problems(x) for x in text.split('\n')):
                continue
            seen.add(text)
            made += 1
            yield 'fp', kind, args, text.encode('utf-8'), text


def generate(out, seed, n):
    sampler = Sampler(load_corpus())
    out = Path(out)
    if out.exists():
        for sub in ('decode', 'mojibake', 'lossy', 'clean', 'fp'):
            shutil.rmtree(out / sub, ignore_errors=True)
    out.mkdir(parents=True, exist_ok=True)
    counts = {}
    with open(out / 'manifest.jsonl', 'w', encoding='utf-8', newline='\n') as man:
        for builder in (build_decode, build_mojibake, build_clean, build_fp):
            for suite, kind, args, data, expected in builder(sampler, seed, n):
                k = counts.get((suite, kind), 0)
                counts[(suite, kind)] = k + 1
                d = out / suite / kind
                d.mkdir(parents=True, exist_ok=True)
                (d / f'{k:04d}.in').write_bytes(data)
                (d / f'{k:04d}.expected').write_bytes(expected.encode('utf-8'))
                man.write(json.dumps({'suite': suite, 'kind': kind, 'input': f'{suite}/{kind}/{k:04d}.in',
                                      'expected': f'{suite}/{kind}/{k:04d}.expected', 'args': args},
                                     ensure_ascii=False) + '\n')
    for (suite, kind), k in sorted(counts.items()):
        if k < n:
            print(f'note: {suite}/{kind}: only {k} of {n} cases (the corpus has too few suitable samples)',
                  file=sys.stderr)
    total = sum(counts.values())
    verify(out)
    print(f'wrote {total} cases in {len(counts)} kinds to {out} (seed {seed}); every case verified from disk')


def ungarble(g, kind):
    """The exact repair for an exact mojibake kind: what a perfect zhfix would output."""
    if kind in MOJI:
        writer, reader, _ = MOJI[kind]
        return WRITERS[writer][1](unread_wrong(g, reader))
    if kind == 'double_utf8':
        return cp1252_encode(cp1252_encode(g).decode('utf-8')).decode('utf-8')
    if kind == 'html_entities':
        return html.unescape(g)
    raise ValueError(kind)


def undamage(g, kind):
    if kind == 'pinyin':
        return PINYIN_RE.sub('', g)
    if kind == 'html':
        return html.unescape(re.sub(r'<[^>]*>', '', g))
    if kind == 'punct':
        back = {v: k for k, v in PUNCT_TO_ASCII.items()}
        return ''.join(back[c] if c in back and 0 < i < len(g) - 1 and is_cjk_neighbour(g[i - 1])
                       and is_cjk_neighbour(g[i + 1]) else c for i, c in enumerate(g))
    if kind == 'width':
        return re.sub('[\uff10-\uff19\uff21-\uff3a\uff41-\uff5a]', lambda m: chr(ord(m.group()) - 0xFEE0), g)
    raise ValueError(kind)


def verify(out):
    """Re-read every case from disk and undo its damage independently of how it was built."""
    out = Path(out)
    for row in (out / 'manifest.jsonl').read_text(encoding='utf-8').splitlines():
        c = json.loads(row)
        data = (out / c['input']).read_bytes()
        exp = (out / c['expected']).read_bytes().decode('utf-8')
        suite, kind = c['suite'], c['kind']
        if suite == 'decode':
            got = decode_as(data, kind)
        elif suite == 'fp':
            got = data.decode('utf-8')
        elif suite == 'lossy':
            got = exp
            assert '\ufffd' in data.decode('utf-8') or '锟斤拷' in data.decode('utf-8'), c['input']
        elif suite == 'clean':
            got = undamage(data.decode('utf-8'), kind)
        elif kind == 'partial':
            g_lines, e_lines = data.decode('utf-8').split('\n'), exp.split('\n')
            diff = [i for i, (a, b) in enumerate(zip(g_lines, e_lines)) if a != b]
            assert len(g_lines) == len(e_lines) and len(diff) == 1, c['input']
            i = diff[0]
            fixes = set()
            for k in list(MOJI) + ['double_utf8']:
                try:
                    fixes.add(ungarble(g_lines[i], k))
                except (UnicodeError, ValueError):
                    pass
            assert e_lines[i] in fixes, c['input']
            got = exp
        else:
            got = ungarble(data.decode('utf-8'), kind)
        assert got == exp, f'{c["input"]}: damage does not undo to the truth'


# ----------------------------------------------------------------------------- check

def levenshtein(a, b):
    # Outputs are mostly right or wholly wrong; trimming the shared ends keeps the quadratic part small.
    while a and b and a[0] == b[0]:
        a, b = a[1:], b[1:]
    while a and b and a[-1] == b[-1]:
        a, b = a[:-1], b[:-1]
    if len(a) < len(b):
        a, b = b, a
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i]
        for j, cb in enumerate(b, 1):
            cur.append(min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ca != cb)))
        prev = cur
    return prev[-1]


def char_accuracy(expected, got):
    if not expected:
        return 1.0 if not got else 0.0
    return max(0.0, 1 - levenshtein(expected, got) / len(expected))


def run_case(binary, out, case, timeout):
    with tempfile.TemporaryDirectory(prefix='zhfix-case-') as tmp:
        path = os.path.join(tmp, 'case.txt')
        shutil.copyfile(out / case['input'], path)
        try:
            p = subprocess.run([binary] + case['args'] + [path], capture_output=True, timeout=timeout)
        except subprocess.TimeoutExpired:
            return None, 'timeout'
        except OSError as e:
            return None, f'cannot run: {e}'
    if p.returncode != 0:
        err = p.stderr.decode('utf-8', 'replace').strip().split('\n')[0]
        return None, f'exit {p.returncode}: {err}'
    try:
        return p.stdout.decode('utf-8'), None
    except UnicodeDecodeError:
        return None, 'stdout is not UTF-8'


def check(binary, out, workers, show, json_path, timeout, only=None):
    out = Path(out)
    cases = [json.loads(x) for x in (out / 'manifest.jsonl').read_text(encoding='utf-8').splitlines() if x]
    if only:
        cases = [c for c in cases if c['suite'] in only or c['kind'] in only]
    results = []
    with concurrent.futures.ThreadPoolExecutor(max_workers=workers) as ex:
        futures = [ex.submit(run_case, binary, out, c, timeout) for c in cases]
        for i, fut in enumerate(futures, 1):
            results.append(fut.result())
            if sys.stderr.isatty() and (i % 50 == 0 or i == len(futures)):
                print(f'\r{i}/{len(futures)} cases run', end='', file=sys.stderr, flush=True)
    if sys.stderr.isatty():
        print(file=sys.stderr)
    by_kind = {}
    for c, (got, err) in zip(cases, results):
        exp = (out / c['expected']).read_text(encoding='utf-8')
        c['ok'] = got == exp
        c['acc'] = 1.0 if c['ok'] else char_accuracy(exp, got) if got is not None else 0.0
        c['error'] = err
        c['got'] = got
        by_kind.setdefault((c['suite'], c['kind']), []).append(c)
    print(f'{"suite":<9} {"kind":<20} {"cases":>5} {"exact%":>7} {"char%":>7} {"errors":>6}')
    suite_scores = {}
    for (suite, kind), cs in by_kind.items():
        exact = 100 * sum(c['ok'] for c in cs) / len(cs)
        acc = 100 * sum(c['acc'] for c in cs) / len(cs)
        errs = sum(1 for c in cs if c['error'])
        print(f'{suite:<9} {kind:<20} {len(cs):>5} {exact:>7.1f} {acc:>7.1f} {errs:>6}')
        suite_scores.setdefault(suite, []).append(acc if suite == 'lossy' else exact)
        for c in [c for c in cs if not c['ok']][:show]:
            exp = (out / c['expected']).read_text(encoding='utf-8')
            print(f'    {c["input"]}: {c["error"] or ""}\n      want {exp[:120]!r}\n      got  {(c["got"] or "")[:120]!r}')
    print('SCORE ' + ' '.join(f'{s}={sum(v) / len(v):.1f}' for s, v in suite_scores.items())
          + '  (lossy is char accuracy; the rest exact%, averaged over kinds)')
    if json_path:
        with open(json_path, 'w', encoding='utf-8') as f:
            json.dump(cases, f, ensure_ascii=False, indent=1)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('out', nargs='?', help='output directory for cases')
    ap.add_argument('--seed', type=int, default=1)
    ap.add_argument('--n', type=int, default=40, help='cases per kind')
    ap.add_argument('--check', nargs=2, metavar=('BIN', 'OUT'), help='score a zhfix binary on OUT')
    ap.add_argument('--workers', type=int, default=2)
    ap.add_argument('--timeout', type=float, default=10.0)
    ap.add_argument('--show', type=int, default=0, help='failing cases to print per kind')
    ap.add_argument('--json', help='with --check: write every case and its result here')
    ap.add_argument('--only', help='with --check: comma-separated suites or kinds to run')
    ap.add_argument('--lint', action='store_true', help='check the corpus is canonical and big enough')
    a = ap.parse_args(argv)
    if a.lint:
        return 0 if lint() else 1
    if a.check:
        check(a.check[0], a.check[1], a.workers, a.show, a.json, a.timeout,
              set(a.only.split(',')) if a.only else None)
        return 0
    if not a.out:
        ap.error('OUT is required')
    generate(a.out, a.seed, a.n)
    return 0


if __name__ == '__main__':
    sys.exit(main())

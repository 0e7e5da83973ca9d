#!/usr/bin/env bash
# zhfix against the tools users would otherwise pick, on the same inputs, whole process.
#
#   benches/peers.sh [--size BYTES] [--runs N] [--dir DIR]
#
# Inputs are written by `cargo run --release --example bench -- gen DIR` (benches/common: our
# own corpus/ text, shuffled and repeated; 16 MiB by default). Peers, used where installed and
# skipped with a note otherwise (this script installs nothing):
#   iconv -f gb18030 -t utf-8 | /usr/bin/opencc -c s2t.json (Debian `opencc`) |
#   Python opencc (pip `opencc`) | ftfy (pip `ftfy`, its `fix_text` on the whole file).
# zhfix is the release binary (target/release/zhfix, or $ZHFIX), single-threaded (-j 1).
# Each command runs N times (default 5) with stdout to /dev/null; medians of wall time and of
# the child's CPU time (user+sys from wait4) are printed, as MB/s of input (MB = 10^6 bytes),
# with zhfix's speed divided by the peer's. CPU is the fair figure on a loaded machine.
set -euo pipefail
cd "$(dirname "$0")/.."

SIZE=$((16 << 20))
RUNS=5
DIR=target/peers
while [ $# -gt 0 ]; do
  case "$1" in
    --size) SIZE=$2; shift 2 ;;
    --runs) RUNS=$2; shift 2 ;;
    --dir) DIR=$2; shift 2 ;;
    *) echo "usage: $0 [--size BYTES] [--runs N] [--dir DIR]" >&2; exit 2 ;;
  esac
done

ZHFIX=${ZHFIX:-target/release/zhfix}
cargo build --release --quiet --bin zhfix --example bench
target/release/examples/bench gen "$DIR" --size "$SIZE"

python3 - "$DIR" "$RUNS" "$ZHFIX" <<'PY'
import os, shutil, statistics, subprocess, sys, time

d, runs, zhfix = sys.argv[1], int(sys.argv[2]), sys.argv[3]
f = lambda name: os.path.join(d, name)

def have_py(mod):
    return subprocess.run([sys.executable, '-c', f'import {mod}'],
                          stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL).returncode == 0

debian_opencc = '/usr/bin/opencc' if os.access('/usr/bin/opencc', os.X_OK) else None
tools = {
    'iconv': shutil.which('iconv'),
    'opencc (Debian CLI)': debian_opencc,
    'opencc (Python)': have_py('opencc') or None,
    'ftfy (Python)': have_py('ftfy') or None,
}
py = sys.executable
pyopencc = ('import opencc,sys; c=opencc.OpenCC("{}.json"); '
            'sys.stdout.write(c.convert(open(sys.argv[1],encoding="utf-8").read()))')
pyftfy = ('import ftfy,sys; '
          'sys.stdout.write(ftfy.fix_text(open(sys.argv[1],encoding="utf-8").read()))')
Z = [zhfix, '-j', '1', '-q']

# task, input file, [(tool, tool key or None for zhfix, argv)]
tasks = [
    ('GB18030 -> UTF-8 (decode only)', 'news_gb18030.txt', [
        ('zhfix --rules none -e gb18030', None, Z + ['--rules', 'none', '-e', 'gb18030']),
        ('iconv -f gb18030 -t utf-8', 'iconv', ['iconv', '-f', 'gb18030', '-t', 'utf-8']),
    ]),
    ('GB18030 file, detect + default rules', 'news_gb18030.txt', [
        ('zhfix (default)', None, Z),
        ('iconv -f gb18030 -t utf-8', 'iconv', ['iconv', '-f', 'gb18030', '-t', 'utf-8']),
    ]),
    ('Big5 -> UTF-8 (decode only)', 'news_big5.txt', [
        ('zhfix --rules none -e big5', None, Z + ['--rules', 'none', '-e', 'big5']),
        ('iconv -f big5-hkscs -t utf-8', 'iconv', ['iconv', '-f', 'big5-hkscs', '-t', 'utf-8']),
    ]),
    ('UTF-16LE -> UTF-8 (decode only)', 'news_utf16le.txt', [
        ('zhfix --rules none', None, Z + ['--rules', 'none']),
        ('iconv -f utf-16 -t utf-8', 'iconv', ['iconv', '-f', 'utf-16', '-t', 'utf-8']),
    ]),
    ('s2t', 'news_simplified.txt', [
        ('zhfix convert -c s2t', None, [zhfix, 'convert', '-c', 's2t']),
        ('opencc -c s2t.json', 'opencc (Debian CLI)', [debian_opencc, '-c', 's2t.json', '-i']),
        ('python opencc s2t', 'opencc (Python)', [py, '-c', pyopencc.format('s2t')]),
    ]),
    ('t2s', 'news_traditional.txt', [
        ('zhfix convert -c t2s', None, [zhfix, 'convert', '-c', 't2s']),
        ('opencc -c t2s.json', 'opencc (Debian CLI)', [debian_opencc, '-c', 't2s.json', '-i']),
        ('python opencc t2s', 'opencc (Python)', [py, '-c', pyopencc.format('t2s')]),
    ]),
    ('default pipeline, clean UTF-8 news', 'news_simplified.txt', [
        ('zhfix (default)', None, Z),
        ('ftfy.fix_text', 'ftfy (Python)', [py, '-c', pyftfy]),
    ]),
    ('mojibake, 1 line in 4 damaged', 'damaged_1in4.txt', [
        ('zhfix (default)', None, Z),
        ('zhfix --rules mojibake', None, Z + ['--rules', 'mojibake']),
        ('ftfy.fix_text', 'ftfy (Python)', [py, '-c', pyftfy]),
    ]),
]

def run(argv):
    """Median wall and CPU (user+sys of the child) seconds over `runs` runs."""
    walls, cpus = [], []
    for _ in range(runs):
        t = time.perf_counter()
        p = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        _, status, ru = os.wait4(p.pid, 0)
        walls.append(time.perf_counter() - t)
        cpus.append(ru.ru_utime + ru.ru_stime)
        err = p.stderr.read().decode(errors='replace').strip()
        p.stderr.close()
        p.returncode = os.waitstatus_to_exitcode(status)
        if p.returncode != 0:
            raise RuntimeError(f'{argv[0]} exited {p.returncode}: {err[:300]}')
    return statistics.median(walls), statistics.median(cpus)

load = open('/proc/loadavg').read().split()[:3]
cpu_model = next((l.split(':', 1)[1].strip() for l in open('/proc/cpuinfo')
                  if l.startswith('model name')), 'unknown')
print(f'# {os.cpu_count()} CPUs, {cpu_model}; load {" ".join(load)}; {runs} runs, medians')
print(f'# MB/s of input (10^6 bytes); "x zhfix" = zhfix speed / this tool\'s speed')
missing = sorted(k for k, v in tools.items() if not v)
for k in missing:
    print(f'# skipped: {k} is not installed')
print(f'{"task":<40} {"tool":<32} {"MB":>6} {"wall MB/s":>10} {"CPU MB/s":>9} {"x zhfix (wall)":>15} {"x zhfix (CPU)":>14}')
for task, name, cmds in tasks:
    path = f(name)
    mb = os.path.getsize(path) / 1e6
    ref = None
    for tool, key, argv in cmds:
        if key is not None and not tools.get(key):
            continue
        try:
            wall, cpu = run(argv + [path])
        except (RuntimeError, OSError) as e:
            print(f'{task:<40} {tool:<32} failed: {e}')
            continue
        w, c = mb / wall, mb / max(cpu, 1e-9)
        if ref is None:
            ref = (w, c)
            ratio = ('', '')
        else:
            ratio = (f'{ref[0] / w:.2f}x', f'{ref[1] / c:.2f}x')
        print(f'{task:<40} {tool:<32} {mb:>6.1f} {w:>10.1f} {c:>9.1f} {ratio[0]:>15} {ratio[1]:>14}')
PY

"""pytest driver: every notebook is a test (run by `nbdev_test`), and the generated files must be in sync.

Run from the repository root: `pytest nbs` (the notebooks run in parallel, one pytest-xdist worker per core). Heavy cells are flagged `slow`/`gpu`. By default the `slow` cells are
skipped and the `gpu` cells run with CUDA hidden (`CUDA_VISIBLE_DEVICES=`), so that each must skip itself the way it
does in "Run All" on a CPU machine. `RFGA_TEST_FLAGS="slow gpu"` runs both for real (passed to `nbdev_test --flags`,
CUDA left as it is)."""
import os, shutil, subprocess, sys, filecmp, json, ast, re, types, configparser
from pathlib import Path
import pytest

ROOT = Path(__file__).resolve().parent.parent
# the longest notebooks first (seconds of `nbdev_test` on 2 cores: 08 ~290, 02b ~60, 10 ~50, the others under 40), so that
# pytest-xdist's workers (`-n auto`, settings in pyproject.toml) start them at once and end together
LONGEST = ['08_cli.ipynb', '02b_fast_boxes.ipynb', '10_predict.ipynb']
NBS = sorted((p.name for p in (ROOT/'nbs').glob('*.ipynb') if not p.name.startswith('_')), key=lambda n: (LONGEST.index(n) if n in LONGEST else len(LONGEST), n))
BIN = Path(sys.executable).parent

def _threads() -> str:
    "CPU threads for one test's process: the cores shared among pytest-xdist's workers; alone, OMP_NUM_THREADS or 2."
    workers = int(os.environ.get('PYTEST_XDIST_WORKER_COUNT', 1))
    if workers > 1: return str(max(1, (os.cpu_count() or 2) // workers))
    return os.environ.get('OMP_NUM_THREADS', '2')

def _run(args, cwd=ROOT, env=None, **kw):
    env = {**os.environ, 'PYTHONUNBUFFERED': '1', 'OMP_NUM_THREADS': _threads(), **(env or {})}
    return subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, **kw)

def _test_flags():
    "`nbdev_test` flags and extra environment: RFGA_TEST_FLAGS as given, else the `gpu` cells with CUDA hidden."
    if 'RFGA_TEST_FLAGS' in os.environ: return os.environ['RFGA_TEST_FLAGS'], {}
    return 'gpu', {'CUDA_VISIBLE_DEVICES': ''}

@pytest.mark.parametrize('nb', NBS)
def test_notebook(nb):
    "Run one notebook's cells as tests, exactly as `nbdev_test` does (by default `--flags gpu` with CUDA hidden)."
    flags, env = _test_flags()
    r = _run([str(BIN/'nbdev_test'), '--path', f'nbs/{nb}', '--flags', flags], env=env)
    assert r.returncode == 0, f'{nb} failed:\n{r.stdout[-4000:]}\n{r.stderr[-12000:]}'

def _cells(nb): return json.loads((ROOT/'nbs'/nb).read_text(encoding='utf-8'))['cells']
def _src(cell): return ''.join(cell['source'])
def _code(cell):
    "A code cell's source without its `#|` directive lines."
    return '\n'.join(l for l in _src(cell).splitlines() if not re.match(r'\s*#\s*\|', l))

def test_gpu_cells_skip_themselves():
    "Every `gpu` cell is one `if` whose condition (or an `elif`'s) calls `on_cuda()`, so \"Run All\" on a CPU goes on."
    bad = []
    for nb in NBS:
        for i, c in enumerate(_cells(nb)):
            if c['cell_type'] != 'code' or not re.search(r'^\s*#\s*\|\s*gpu\b', _src(c), re.M): continue
            body = ast.parse(_code(c)).body
            tests, node = [], body[0] if len(body) == 1 and isinstance(body[0], ast.If) else None
            while isinstance(node, ast.If):
                tests.append(node.test); node = node.orelse[0] if len(node.orelse) == 1 else None
            calls = [n.func.id for t in tests for n in ast.walk(t) if isinstance(n, ast.Call) and isinstance(n.func, ast.Name)]
            if 'on_cuda' not in calls: bad.append(f'{nb} cell {i}')
    assert not bad, f'gpu cells that do not skip themselves without CUDA (wrap them in `if on_cuda():`): {bad}'

def test_no_eval_false():
    "No cell is `eval: false`: Jupyter's \"Run All\" ignores that flag (guard such a cell with a switch at the top)."
    bad = [f'{nb} cell {i}' for nb in NBS for i, c in enumerate(_cells(nb)) if re.search(r'^\s*#\s*\|\s*eval\s*:\s*false', _src(c), re.M)]
    assert not bad, bad

def _settings():
    cfg = configparser.ConfigParser(); cfg.read(ROOT/'settings.ini'); return cfg['DEFAULT']

def test_colab_badge_and_run_all_time():
    "The first markdown cell of every notebook has an \"Open in Colab\" badge for that notebook and says how long \"Run All\" takes."
    cfg = _settings()
    repo = cfg['git_url'].removeprefix('https://github.com/')
    bad = []
    for nb in NBS:
        first = _src(next(c for c in _cells(nb) if c['cell_type'] == 'markdown'))
        url = f'https://colab.research.google.com/github/{repo}/blob/{cfg["branch"]}/nbs/{nb}'
        if f'[![Open In Colab](https://colab.research.google.com/assets/colab-badge.svg)]({url})' not in first: bad.append(f'{nb}: badge')
        if '"Run All"' not in first: bad.append(f'{nb}: "Run All" time')
    assert not bad, bad

def _colab_cell(nb):
    "The notebook's Colab cell; no code cell before it imports the package."
    cells = _cells(nb)
    i = next(i for i, c in enumerate(cells) if c['cell_type'] == 'code' and "if 'google.colab' in sys.modules:" in _src(c))
    assert not [c for c in cells[:i] if c['cell_type'] == 'code' and 'rfga_nb' in _src(c)], f'{nb}: rfga_nb used before the Colab cell'
    return _src(cells[i])

def test_colab_cell(monkeypatch):
    "The Colab cell (the same in every notebook) does nothing off Colab; on a simulated Colab it clones, installs, and moves to nbs/."
    srcs = {nb: _colab_cell(nb) for nb in NBS}
    assert len(set(srcs.values())) == 1, 'the Colab cell differs between notebooks'
    cell, cfg = srcs[NBS[0]], _settings()
    nbdev_pin = next(r for r in cfg['dev_requirements'].split() if r.startswith('nbdev=='))
    calls = []
    monkeypatch.setattr(subprocess, 'run', lambda args, **kw: calls.append((args, kw)))
    monkeypatch.setattr(os, 'chdir', lambda d: calls.append(('chdir', d)))
    monkeypatch.setattr(sys, 'path', list(sys.path))
    monkeypatch.delitem(sys.modules, 'google.colab', raising=False)
    path0 = list(sys.path)
    exec(cell, {})
    assert calls == [] and sys.path == path0
    monkeypatch.setitem(sys.modules, 'google.colab', types.ModuleType('google.colab'))
    repo = '/content/rfga_nb'
    for exists in (False, True):   # first run, and a rerun once the clone is there
        calls.clear(); sys.path[:] = path0
        monkeypatch.setattr(os.path, 'isdir', lambda d: exists)
        exec(cell, {})
        clone = [(['git', 'clone', '-q', cfg['git_url'], repo], {'check': True})]
        assert calls == (clone if not exists else []) + [
            ([sys.executable, '-m', 'pip', 'install', '-q', '-e', repo, nbdev_pin], {'check': True}), ('chdir', f'{repo}/nbs')], calls
        assert sys.path[0] == repo

def test_no_import_cycles():
    "The modules of `rfga_nb` import each other in one direction only (e.g. `methods` -> `models`, never back)."
    deps = {}
    for p in (ROOT/'rfga_nb').glob('*.py'):
        if p.name.startswith('_'): continue
        mods = set()
        for n in ast.walk(ast.parse(p.read_text(encoding='utf-8'))):
            if isinstance(n, ast.ImportFrom): names = [('rfga_nb.' + (n.module or '')) if n.level else (n.module or '')]
            elif isinstance(n, ast.Import): names = [a.name for a in n.names]
            else: continue
            mods |= {m.split('.')[1] for m in names if m.startswith('rfga_nb.')}
        deps[p.stem] = mods
    def reach(m, seen):
        for d in deps.get(m, ()):
            if d not in seen: seen.add(d); reach(d, seen)
        return seen
    cycles = sorted(m for m in deps if m in reach(m, set()))
    assert not cycles, f'modules in an import cycle: {cycles} ({ {m: sorted(deps[m]) for m in cycles} })'

def _copy_tree(tmp_path):
    dst = tmp_path/'repo'
    shutil.copytree(ROOT, dst, ignore=shutil.ignore_patterns('.git', 'data', '*.egg-info', '__pycache__', '_proc', '_docs', 'runs'))
    return dst

def _diff(a:Path, b:Path):
    "Files that differ, or exist on one side only, between two folders (recursively)."
    c = filecmp.dircmp(a, b, ignore=['__pycache__'])
    out = [str(a/n) for n in c.left_only + c.right_only + c.diff_files]
    for sub in c.common_dirs: out += _diff(a/sub, b/sub)
    return out

def test_export_in_sync(tmp_path):
    "The committed `rfga_nb/` equals what `nbdev_export` writes from the notebooks."
    dst = _copy_tree(tmp_path)
    r = _run([str(BIN/'nbdev_export')], cwd=dst)
    assert r.returncode == 0, r.stderr
    diff = _diff(ROOT/'rfga_nb', dst/'rfga_nb')
    assert not diff, f'rfga_nb/ is out of sync with nbs/ (run nbdev_export): {diff}'

def test_notebooks_clean(tmp_path):
    "Notebooks are committed as `nbdev_clean` leaves them (no stray metadata, stable exports)."
    dst = _copy_tree(tmp_path)
    r = _run([str(BIN/'nbdev_clean')], cwd=dst)
    assert r.returncode == 0, r.stderr
    diff = [n for n in NBS if (ROOT/'nbs'/n).read_bytes() != (dst/'nbs'/n).read_bytes()]
    assert not diff, f'run nbdev_clean on: {diff}'

def test_readme_in_sync():
    "README.md is what `.ci/readme.py` renders from nbs/index.ipynb."
    r = _run([sys.executable, '.ci/readme.py', '--check'])
    assert r.returncode == 0, r.stdout + r.stderr

def test_ci_runs_readme_test_command():
    "`.ci/run` runs exactly the test command that README.md gives."
    ci = (ROOT/'.ci'/'run').read_text()
    cmd = next(l.split('=', 1)[1].strip().strip("'") for l in ci.splitlines() if l.startswith('TEST_CMD='))
    assert f'\n{cmd}\n' in (ROOT/'README.md').read_text(), cmd

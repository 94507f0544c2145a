"""pytest driver: every notebook is a test (run by `nbdev_test`), and the generated files must be in sync.

Run from the repository root: `pytest nbs`. Heavy cells are flagged `slow`/`gpu` and skipped unless
`RFGA_TEST_FLAGS="slow gpu"` is set (passed to `nbdev_test --flags`)."""
import os, shutil, subprocess, sys, filecmp
from pathlib import Path
import pytest

ROOT = Path(__file__).resolve().parent.parent
NBS = sorted(p.name for p in (ROOT/'nbs').glob('*.ipynb') if not p.name.startswith('_'))
BIN = Path(sys.executable).parent

def _run(args, cwd=ROOT, **kw):
    env = {**os.environ, 'PYTHONUNBUFFERED': '1'}
    env.setdefault('OMP_NUM_THREADS', '2')
    return subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, **kw)

@pytest.mark.parametrize('nb', NBS)
def test_notebook(nb):
    "Run one notebook's cells as tests, exactly as `nbdev_test` does (flags from RFGA_TEST_FLAGS)."
    r = _run([str(BIN/'nbdev_test'), '--path', f'nbs/{nb}', '--flags', os.environ.get('RFGA_TEST_FLAGS', '')])
    assert r.returncode == 0, f'{nb} failed:\n{r.stdout[-4000:]}\n{r.stderr[-12000:]}'

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

"""Run each notebook in a Jupyter kernel with its `slow` cells skipped and its `gpu` cells run; write REPORT_DIR/report.md
with a line per notebook and the text output of every `gpu` cell. Used by `.ci/gpu-check`."""
import sys, time, re, copy, nbformat
from pathlib import Path
from nbclient import NotebookClient

def flags(src): return set(re.findall(r'^\s*#\s*\|\s*(slow|gpu)\b', src, re.M))

def run(nb_path, out):
    nb = nbformat.read(nb_path, as_version=4)
    gpu_cells = [i for i, c in enumerate(nb.cells) if c.cell_type == 'code' and 'gpu' in flags(c.source)]
    for c in nb.cells:
        if c.cell_type == 'code' and 'slow' in flags(c.source) and 'gpu' not in flags(c.source): c.source = 'pass'
    t0, err = time.time(), None
    try: NotebookClient(nb, timeout=900, kernel_name='python3', resources={'metadata': {'path': str(nb_path.parent)}}).execute()
    except Exception as e: err = f'{type(e).__name__}: {str(e)[-800:]}'
    texts = []
    for i in gpu_cells:
        t = ''.join(o.get('text', '') or o.get('data', {}).get('text/plain', '') for o in nb.cells[i].get('outputs', []))
        if t.strip(): texts.append(f'cell {i}:\n```\n{t.rstrip()}\n```')
    return time.time() - t0, err, texts

if __name__ == '__main__':
    out = Path(sys.argv[1]); out.mkdir(parents=True, exist_ok=True)
    import torch
    dev = torch.cuda.get_device_name(0) if torch.cuda.is_available() else 'no CUDA device (the gpu cells skip themselves)'
    lines = [f'# GPU check\n\ndevice: {dev}, torch {torch.__version__}\n']
    for p in sorted(Path('nbs').glob('[0-9]*.ipynb')):
        s, err, texts = run(p, out)
        lines.append(f"## {p.name}: {'FAILED' if err else 'ok'} ({s:.0f} s)\n" + (f'\n{err}\n' if err else '') + '\n'.join(texts) + '\n')
        print(lines[-1].splitlines()[0], flush=True)
        (out/'report.md').write_text('\n'.join(lines))

"""Render README.md from nbs/index.ipynb (nbdev_readme needs Quarto, which these machines cannot install).

`python .ci/readme.py` writes README.md; `python .ci/readme.py --check` exits 1 when README.md is stale.
Cells marked `#| hide` are dropped, `#| ...` directive lines are removed, outputs of code cells are kept
as plain text (images are not embedded); links to `images/` (next to the notebooks) get the `nbs/` prefix."""
import json, re, sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
_directive = re.compile(r'^\s*#\s*\|')

def render(nb_path=ROOT/'nbs'/'index.ipynb') -> str:
    nb = json.loads(Path(nb_path).read_text(encoding='utf-8'))
    parts = []
    for cell in nb['cells']:
        src = ''.join(cell['source'])
        lines = src.splitlines()
        if any(re.match(r'^\s*#\s*\|\s*hide\b', l) for l in lines): continue
        body = '\n'.join(l for l in lines if not _directive.match(l)).strip('\n')
        if cell['cell_type'] == 'markdown': parts.append(body.replace('](images/', '](nbs/images/'))  # README sits one folder up
        elif cell['cell_type'] == 'code':
            if body: parts.append(f'```python\n{body}\n```')
            for out in cell.get('outputs', []):
                text = out.get('text') or out.get('data', {}).get('text/markdown') or out.get('data', {}).get('text/plain')
                if text: parts.append(''.join(text).strip('\n') if 'text/markdown' in out.get('data', {}) else f"```\n{''.join(text).rstrip()}\n```")
    return '<!-- WARNING: generated from nbs/index.ipynb by .ci/readme.py; edit the notebook, not this file -->\n\n' + '\n\n'.join(parts).strip() + '\n'

if __name__ == '__main__':
    out = ROOT/'README.md'
    text = render()
    if '--check' in sys.argv:
        ok = out.exists() and out.read_text(encoding='utf-8') == text
        print('README.md is in sync with nbs/index.ipynb' if ok else 'README.md is stale: run `python .ci/readme.py`')
        sys.exit(0 if ok else 1)
    out.write_text(text, encoding='utf-8')
    print(f'wrote {out}')

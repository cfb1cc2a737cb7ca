#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Write the parts of the manual that a list in the code already holds.

The knobs come from preload/config.def (its FT_KNOB lines), the options of
`flaketrap run` from the built tool's `run --help` (printed from the
tool's own tables). Each generated part sits between two marker lines,
BEGIN GENERATED NAME and END GENERATED NAME, in a Markdown comment or a
troff comment; the rest of each page is hand-written and left alone.

  docs/gen.py            rewrite the generated parts in place (make docs)
  docs/gen.py --check    write them into a temporary copy and print the
                         difference with the committed pages: exit 1 when
                         there is one (make check, test/t9200-docs.sh)

--root DIR (default: the tree this script is in) and --tool PATH (default:
ROOT/tools/flaketrap) say where to read from.
"""

import argparse
import difflib
import os
import re
import shutil
import subprocess
import sys
import tempfile
import textwrap

KNOB_FIELDS = ('field', 'name', 'kind', 'default', 'form', 'help')


# --- reading the lists -------------------------------------------------------

def c_tokens(text):
    """The tokens of C source that FT_KNOB lines need: identifiers,
    string literals (decoded), punctuation; comments and blanks dropped."""
    i = 0
    n = len(text)
    while i < n:
        c = text[i]
        if text.startswith('/*', i):
            end = text.find('*/', i + 2)
            if end < 0:
                raise ValueError('unterminated comment')
            i = end + 2
        elif text.startswith('//', i):
            end = text.find('\n', i)
            i = n if end < 0 else end
        elif c.isspace():
            i += 1
        elif c == '"':
            j = i + 1
            out = []
            while True:
                if j >= n or text[j] == '\n':
                    raise ValueError('unterminated string')
                if text[j] == '"':
                    break
                if text[j] == '\\':
                    esc = text[j + 1]
                    out.append({'n': '\n', 't': '\t'}.get(esc, esc))
                    j += 2
                else:
                    out.append(text[j])
                    j += 1
            yield ('str', ''.join(out))
            i = j + 1
        elif c.isalnum() or c == '_':
            j = i
            while j < n and (text[j].isalnum() or text[j] == '_'):
                j += 1
            yield ('id', text[i:j])
            i = j
        else:
            yield ('punct', c)
            i += 1


def read_knobs(path):
    """The FT_KNOB(field, NAME, kind, default, form, help) entries of
    config.def, in order, each a dict; adjacent strings are joined."""
    with open(path, encoding='utf-8') as f:
        tokens = list(c_tokens(f.read()))
    knobs = []
    i = 0
    while i < len(tokens):
        if tokens[i] != ('id', 'FT_KNOB'):
            i += 1
            continue
        if tokens[i + 1] != ('punct', '('):
            raise ValueError('%s: FT_KNOB without (' % path)
        i += 2
        args = [[]]
        depth = 0
        while True:
            kind, value = tokens[i]
            i += 1
            if kind == 'punct' and value == ')' and depth == 0:
                break
            if kind == 'punct' and value == ',' and depth == 0:
                args.append([])
                continue
            if kind == 'punct' and value == '(':
                depth += 1
            if kind == 'punct' and value == ')':
                depth -= 1
            args[-1].append((kind, value))
        if len(args) != len(KNOB_FIELDS):
            raise ValueError('%s: FT_KNOB with %d arguments, not %d'
                             % (path, len(args), len(KNOB_FIELDS)))
        knob = {}
        for field, arg in zip(KNOB_FIELDS, args):
            if arg and all(k == 'str' for k, _ in arg):
                knob[field] = ''.join(v for _, v in arg)
            elif len(arg) == 1 and arg[0][0] == 'id':
                knob[field] = arg[0][1]
            else:
                raise ValueError('%s: FT_KNOB argument %s not understood'
                                 % (path, field))
        knob['option'] = '--' + knob['name'].lower().replace('_', '-')
        knobs.append(knob)
    if not knobs:
        raise ValueError('%s: no FT_KNOB line' % path)
    return knobs


def read_run_options(tool):
    """The options `TOOL run --help` lists: (head, text) pairs, head as
    printed (`--sleep=VALUE`, `-h, --help`), text its lines joined."""
    out = subprocess.run([tool, 'run', '--help'], check=True,
                         stdout=subprocess.PIPE, universal_newlines=True,
                         env=dict(os.environ, LC_ALL='C')).stdout
    options = []
    for line in out.split('\n'):
        m = re.match(r'  (-\S.*)$', line)
        if m:
            options.append((m.group(1).strip(), []))
        elif options and re.match(r'      \S', line):
            options[-1][1].append(line.strip())
        elif options:
            break
    options = [(head, ' '.join(text)) for head, text in options]
    if len(options) < 5:
        raise ValueError('%s run --help: no option list found' % tool)
    return options


def option_names(head):
    """The long names of an option head: `--chaos[=VALUE]` -> [--chaos]."""
    return re.findall(r'--[a-z][a-z0-9-]*', head)


# --- Markdown ----------------------------------------------------------------

def md(text):
    """Text for a Markdown table cell."""
    for c in '\\`*|<[':
        text = text.replace(c, '\\' + c)
    return text


def md_knobs(knobs, run_options):
    rows = ['| variable | option | default | expected | meaning |',
            '|---|---|---|---|---|']
    for k in knobs:
        rows.append('| [`FLAKETRAP_%s`](#flaketrap_%s) | `%s` | %s | %s | %s |' % (
            k['name'], k['name'].lower(), k['option'],
            '`%s`' % k['default'] if k['default'] else 'unset',
            md(k['form']), md(k['help'])))
    return rows


def md_run_extras(knobs, run_options):
    knob_options = {k['option'] for k in knobs}
    rows = ['| option | meaning |', '|---|---|']
    for head, text in run_options:
        names = option_names(head)
        if any(n in knob_options for n in names) or \
                names in (['--help'], ['--version']):
            continue
        rows.append('| %s | %s |' % (
            ', '.join('`%s`' % h.strip() for h in head.split(',')), md(text)))
    return rows


# --- troff -------------------------------------------------------------------

def roff(text):
    """Text for a troff text line: backslashes and dashes escaped."""
    return text.replace('\\', '\\e').replace('-', '\\-')


def roff_fill(text, width=72):
    """Lines of filled text, none starting with a control character."""
    lines = []
    for line in textwrap.wrap(roff(text), width, break_on_hyphens=False,
                              break_long_words=False):
        if line[0] in ".'":
            line = '\\&' + line
        lines.append(line)
    return lines


def roff_head(head):
    """An option head in bold, its argument in italics:
    `--grace=DUR` -> \\fB\\-\\-grace=\\fR\\fIDUR\\fR."""
    parts = []
    for one in head.split(', '):
        m = re.match(r'(-[-a-zA-Z0-9]*)(\[?=)?([A-Z]+)?(\])?$', one)
        if not m:
            raise ValueError('option head %r not understood' % head)
        name, eq, arg, close = m.groups()
        s = '\\fB%s\\fR' % roff(name)
        if eq == '[=':
            s += '[\\fB=\\fR\\fI%s\\fR]' % arg
        elif eq == '=':
            s += '\\fB=\\fR\\fI%s\\fR' % arg
        parts.append(s)
    return ', '.join(parts)


def man_knobs(knobs, run_options):
    lines = []
    for k in knobs:
        lines += ['.TP', '.B FLAKETRAP_%s' % k['name']]
        lines += roff_fill(k['help'][:1].upper() + k['help'][1:] + '.')
        lines += roff_fill('Expected: %s; default: %s. Option of flaketrap '
                           'run: %s.' % (k['form'], k['default'] or 'unset',
                                         k['option']))
    return lines


def man_run_options(knobs, run_options):
    lines = []
    for head, text in run_options:
        lines += ['.TP', roff_head(head)]
        lines += roff_fill(text)
    return lines


# --- the pages ---------------------------------------------------------------

PARTS = [
    ('docs/knobs.md', 'knobs', md_knobs),
    ('docs/commands.md', 'run-options', md_run_extras),
    ('man/libflaketrap.7', 'knobs', man_knobs),
    ('man/flaketrap.1', 'run-options', man_run_options),
]


def rewrite(path, name, lines):
    """Put LINES between the markers of part NAME in PATH."""
    with open(path, encoding='utf-8') as f:
        text = f.read().split('\n')
    begin = [i for i, l in enumerate(text)
             if re.search(r'\bBEGIN GENERATED %s\b' % name, l)]
    end = [i for i, l in enumerate(text)
           if re.search(r'\bEND GENERATED %s\b' % name, l)]
    if len(begin) != 1 or len(end) != 1 or begin[0] > end[0]:
        raise ValueError('%s: no single BEGIN/END GENERATED %s pair'
                         % (path, name))
    text[begin[0] + 1:end[0]] = lines
    with open(path, 'w', encoding='utf-8') as f:
        f.write('\n'.join(text))


def check_details(root, knobs):
    """Every knob has its own section in docs/knobs.md."""
    with open(os.path.join(root, 'docs/knobs.md'), encoding='utf-8') as f:
        text = f.read()
    return ['docs/knobs.md: no section "### `FLAKETRAP_%s`"' % k['name']
            for k in knobs
            if '\n### `FLAKETRAP_%s`\n' % k['name'] not in text]


def main():
    here = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--check', action='store_true',
                    help='compare with the committed pages; change nothing')
    ap.add_argument('--root', default=here)
    ap.add_argument('--tool')
    args = ap.parse_args()
    root = args.root
    tool = args.tool or os.path.join(root, 'tools/flaketrap')

    knobs = read_knobs(os.path.join(root, 'preload/config.def'))
    run_options = read_run_options(tool)
    known = {n for head, _ in run_options for n in option_names(head)}
    problems = ['%s run --help lacks %s (knob %s)' % (tool, k['option'],
                                                       k['name'])
                for k in knobs if k['option'] not in known]
    problems += check_details(root, knobs)

    out = root
    if args.check:
        out = tempfile.mkdtemp(prefix='flaketrap-docs.')
    try:
        for path, name, make in PARTS:
            dest = os.path.join(out, path)
            if args.check:
                os.makedirs(os.path.dirname(dest), exist_ok=True)
                shutil.copyfile(os.path.join(root, path), dest)
            rewrite(dest, name, make(knobs, run_options))
            if not args.check:
                continue
            with open(os.path.join(root, path), encoding='utf-8') as f:
                old = f.readlines()
            with open(dest, encoding='utf-8') as f:
                new = f.readlines()
            diff = list(difflib.unified_diff(old, new, path,
                                             path + ' (generated)'))
            if diff:
                sys.stdout.writelines(diff)
                problems.append('%s differs from what docs/gen.py writes '
                                '(make docs rewrites it)' % path)
    finally:
        if args.check:
            shutil.rmtree(out)
    for p in problems:
        print('docs/gen.py: ' + p, file=sys.stderr)
    return 1 if problems else 0


if __name__ == '__main__':
    try:
        sys.exit(main())
    except (OSError, ValueError, subprocess.CalledProcessError) as e:
        print('docs/gen.py: %s' % e, file=sys.stderr)
        sys.exit(2)

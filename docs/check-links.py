#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Check the links between the pages of the manual.

Every relative link of README.md and docs/*.md must name a file of the
tree, and its #anchor a heading of that page (GitHub's slugs). Links to
other sites are not followed. Prints each broken link as FILE:LINE and
exits 1 when there is one.
Usage: docs/check-links.py [ROOT]
"""

import os
import re
import sys

LINK = re.compile(r'\[[^\]]*\]\(([^)\s]+)\)')


def slug(heading):
    """GitHub's anchor of a heading: lower case, no punctuation but - and _,
    spaces made dashes."""
    text = heading.strip().lower()
    text = re.sub(r'[^\w\- ]', '', text)
    return text.replace(' ', '-')


def anchors(path):
    found = set()
    seen = {}
    in_code = False
    with open(path, encoding='utf-8') as f:
        for line in f:
            if line.startswith('```'):
                in_code = not in_code
            if in_code:
                continue
            m = re.match(r'#{1,6} (.*)', line)
            if not m:
                continue
            s = slug(m.group(1))
            n = seen.get(s, 0)
            seen[s] = n + 1
            found.add(s if n == 0 else '%s-%d' % (s, n))
    return found


def links(path):
    in_code = False
    with open(path, encoding='utf-8') as f:
        for number, line in enumerate(f, 1):
            if line.startswith('```'):
                in_code = not in_code
            if in_code:
                continue
            for m in LINK.finditer(line):
                yield number, m.group(1)


def main():
    root = sys.argv[1] if len(sys.argv) > 1 else '.'
    pages = ['README.md'] + sorted(
        os.path.join('docs', p) for p in os.listdir(os.path.join(root, 'docs'))
        if p.endswith('.md'))
    bad = 0
    for page in pages:
        for number, target in links(os.path.join(root, page)):
            if re.match(r'[a-z]+:', target):
                continue
            name, _, anchor = target.partition('#')
            dest = os.path.normpath(os.path.join(os.path.dirname(page), name)) \
                if name else page
            full = os.path.join(root, dest)
            why = None
            if not os.path.exists(full):
                why = 'no such file'
            elif anchor and (not dest.endswith('.md') or
                             anchor not in anchors(full)):
                why = 'no heading #%s in %s' % (anchor, dest)
            if why:
                print('%s:%d: %s: %s' % (page, number, target, why))
                bad += 1
    return 1 if bad else 0


if __name__ == '__main__':
    sys.exit(main())

#!/usr/bin/env python3
"""check_examples.py SOURCE_DIR - every C example in the README and the
guide compiles against the headers in include/.

Each ```c block is a whole translation unit (its own #includes); it is
compiled with the project's warnings as errors, so an example that uses a
renamed function, a wrong argument or a field that does not exist fails
the suite instead of misleading a reader."""
import os
import re
import subprocess
import sys
import tempfile

src = sys.argv[1]
docs = ['README.md', 'docs/guide.md']
flags = ['-std=gnu11', '-Wall', '-Wextra', '-Werror', '-Wno-unused-parameter',
         '-Wno-unused-function', '-I', os.path.join(src, 'include')]
flags += subprocess.run(['pkg-config', '--cflags', 'jansson'], capture_output=True,
                        text=True, check=True).stdout.split()
failed = 0
total = 0
with tempfile.TemporaryDirectory() as tmp:
    for doc in docs:
        text = open(os.path.join(src, doc)).read()
        for m in re.finditer(r'^```c\n(.*?)^```', text, re.S | re.M):
            total += 1
            line = text.count('\n', 0, m.start()) + 2
            path = os.path.join(tmp, 'example.c')
            with open(path, 'w') as f:
                f.write('#line %d "%s"\n' % (line, doc) + m.group(1))
            r = subprocess.run(['cc'] + flags + ['-c', path, '-o', os.path.join(tmp, 'example.o')],
                               capture_output=True, text=True)
            if r.returncode:
                failed += 1
                print('%s:%d: the example does not compile:\n%s' % (doc, line, r.stderr))
if total == 0:
    print('no C examples found')
    sys.exit(1)
print('%d of %d examples compile' % (total - failed, total))
sys.exit(1 if failed else 0)

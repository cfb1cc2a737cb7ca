# SPDX-License-Identifier: MIT
"""A unittest suite of COUNT tests, each starting a thread and joining it:
the per-test cost of the Python hook (flaketrap_test_begin and _end
through ctypes, the end's look at the registry). Run by run.py."""
import sys
import threading
import unittest

COUNT = int(sys.argv[1])


def body(self):
    t = threading.Thread(target=lambda: None)
    t.start()
    t.join()


Many = type("Many", (unittest.TestCase,),
            {"test_%05d" % i: body for i in range(COUNT)})

if __name__ == "__main__":
    suite = unittest.defaultTestLoader.loadTestsFromTestCase(Many)
    result = unittest.TextTestRunner(stream=open("/dev/null", "w")).run(suite)
    sys.exit(0 if result.wasSuccessful() else 1)

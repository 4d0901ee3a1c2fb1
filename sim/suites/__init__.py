"""VUnit test suites; each module defines ``add_tests(vu, rtl_lib)``."""

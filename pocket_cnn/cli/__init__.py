"""The ``pocket-cnn`` command line (``main``), one module per subcommand (``cmd_*``)."""

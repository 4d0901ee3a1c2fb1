"""Synthesis: the network as one Verilog netlist by ``ghdl --synth`` (``netlist``, with the
GHDL 2.0 constant repair of ``verilog_fix``), that netlist simulated against the
bit-exact reference (``netlist_sim``), and ``pocket-cnn synth`` for a board: the steps
in order (``pipeline``: ``yosys``, ``pnr``, ``resources``) and their report (``report``)."""

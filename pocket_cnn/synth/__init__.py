"""Synthesis: the network as one Verilog netlist by ``ghdl --synth`` (``netlist``, with the
GHDL 2.0 constant repair of ``verilog_fix``) and that netlist simulated against the
bit-exact reference (``netlist_sim``)."""

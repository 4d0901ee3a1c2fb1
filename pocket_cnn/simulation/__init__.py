"""Simulation: the generated VHDL in GHDL with the network testbench (``ghdl``), its
stimulus and expected-word files (``stimuli``) and its interface (``testbench``)."""

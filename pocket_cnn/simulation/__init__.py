"""Simulation: the generated VHDL in GHDL with the network testbench (``ghdl``), a checked
run over many images (``run``), its stimulus and expected-word files (``stimuli``) and
the testbench's interface (``testbench``)."""

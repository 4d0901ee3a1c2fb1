-- pcnn_net_tb (a thin VUnit wrapper around the plain network testbench pcnn_tb_net).
-- VUnit fills output_path; the stimuli (input.txt) and expected words (expected.txt)
-- are written there by the pre_config hook of sim/suites/network.py, the testbench
-- writes result.txt there. The other generics are passed through unchanged.
library vunit_lib;
context vunit_lib.vunit_context;

entity pcnn_net_tb is
  generic (
    runner_cfg  : string;
    output_path : string;             -- set by VUnit (ends with "/")
    G_IMAGES    : positive := 1;      -- images streamed back to back
    G_IN_WORDS  : positive := 1;      -- input words per image
    G_OUT_WORDS : positive := 1;      -- output words per image
    G_STALL_IN  : natural  := 0;      -- percent input gaps
    G_STALL_OUT : natural  := 0;      -- percent output backpressure
    G_SEED      : positive := 1       -- seed of gaps and backpressure
  );
end entity pcnn_net_tb;

architecture sim of pcnn_net_tb is
  signal done, pass : boolean;
begin
  u_tb : entity work.pcnn_tb_net
    generic map (
      G_IN_FILE     => output_path & "input.txt",
      G_EXP_FILE    => output_path & "expected.txt",
      G_RESULT_FILE => output_path & "result.txt",
      G_IMAGES      => G_IMAGES,
      G_IN_WORDS    => G_IN_WORDS,
      G_OUT_WORDS   => G_OUT_WORDS,
      G_STALL_IN    => G_STALL_IN,
      G_STALL_OUT   => G_STALL_OUT,
      G_SEED        => G_SEED,
      G_FINISH      => false)
    port map (o_done => done, o_pass => pass);

  main : process
  begin
    test_runner_setup(runner, runner_cfg);
    wait until done;
    check(pass, "pcnn_tb_net did not pass");
    test_runner_cleanup(runner);
  end process;
end architecture sim;

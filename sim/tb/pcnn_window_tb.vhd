-- pcnn_window_tb: testbench of pcnn_window. Pixels from <output_path>/in.txt, expected
-- windows from <output_path>/expected.txt (written by sim/suites/entities.py from numpy).
-- With G_NO_STALL the input must never wait (one pixel per clock) and the run reports
-- cycles per image.
library ieee;
use ieee.std_logic_1164.all;

library vunit_lib;
context vunit_lib.vunit_context;

library pocket_cnn;
use pocket_cnn.pcnn_pkg.all;

use work.pcnn_tb_pkg.all;

entity pcnn_window_tb is
  generic (
    runner_cfg  : string;
    G_CHANNELS  : positive := 1;     -- bytes per pixel
    G_HEIGHT    : positive := 4;     -- image height
    G_WIDTH     : positive := 4;     -- image width
    G_KERNEL    : positive := 3;     -- window size
    G_STRIDE    : positive := 1;     -- window stride
    G_PAD       : natural  := 0;     -- virtual zero padding
    G_PAD_BYTE  : integer  := 0;     -- value of a padded byte
    G_STALL_IN  : natural  := 0;     -- % of cycles the source pauses
    G_STALL_OUT : natural  := 0;     -- % of cycles the sink is not ready
    G_NO_STALL  : boolean  := false; -- check one input pixel per clock
    G_SEED      : positive := 1      -- random seed
  );
end entity pcnn_window_tb;

architecture tb of pcnn_window_tb is
  constant C_PATH : string           := output_path(runner_cfg);
  constant C_IN   : pcnn_int_array_t := pcnn_tb_read_ints(C_PATH & "in.txt");
  constant C_EXP  : pcnn_int_array_t := pcnn_tb_read_ints(C_PATH & "expected.txt");
  constant C_KK   : positive         := G_KERNEL * G_KERNEL;
  constant C_HO   : positive         := pcnn_conv_out(G_HEIGHT, G_KERNEL, G_STRIDE, G_PAD);
  constant C_WO   : positive         := pcnn_conv_out(G_WIDTH, G_KERNEL, G_STRIDE, G_PAD);

  signal clk                      : std_logic := '0';
  signal rst                      : std_logic := '1';
  signal s_valid, s_ready, s_last : std_logic := '0';
  signal s_data                   : std_logic_vector(G_CHANNELS * 8 - 1 downto 0);
  signal m_valid, m_ready, m_last : std_logic;
  signal m_data                   : std_logic_vector(C_KK * G_CHANNELS * 8 - 1 downto 0);
  signal done_in, done_out        : boolean;
  signal cyc                      : real; -- sink: mean cycles between image ends
begin
  clk <= not clk after 5 ns;

  dut : entity pocket_cnn.pcnn_window
    generic map (G_CHANNELS => G_CHANNELS, G_HEIGHT => G_HEIGHT, G_WIDTH => G_WIDTH,
                 G_KERNEL => G_KERNEL, G_STRIDE => G_STRIDE, G_PAD => G_PAD, G_PAD_BYTE => G_PAD_BYTE)
    port map (clk => clk, rst => rst, s_valid => s_valid, s_ready => s_ready, s_data => s_data,
              m_valid => m_valid, m_ready => m_ready, m_data => m_data, m_last => m_last);

  u_source : entity work.pcnn_tb_source
    generic map (G_VALUES => C_IN, G_BYTES => G_CHANNELS, G_PER_IMG => G_HEIGHT * G_WIDTH,
                 G_STALL => G_STALL_IN, G_SEED => G_SEED,
                 G_NO_STALL => G_NO_STALL, G_RATE_MSG => "window stage did not accept one pixel per clock")
    port map (clk => clk, rst => rst, valid => s_valid, ready => s_ready, data => s_data,
              last => s_last, done => done_in);

  u_sink : entity work.pcnn_tb_sink
    generic map (G_EXPECTED => C_EXP, G_BYTES => C_KK * G_CHANNELS, G_PER_IMG => C_HO * C_WO,
                 G_STALL => G_STALL_OUT, G_SEED => G_SEED + 1, G_IDLE => 20)
    port map (clk => clk, rst => rst, valid => m_valid, ready => m_ready, data => m_data,
              last => m_last, done => done_out, img_cycles => cyc);

  p_main : process
  begin
    test_runner_setup(runner, runner_cfg);
    pcnn_tb_reset(clk, rst);
    wait until done_out;
    check(done_in, "input not fully consumed");
    info("cycles per image (steady state): " & real'image(cyc) & ", pixels per image: "
         & integer'image(G_HEIGHT * G_WIDTH));
    test_runner_cleanup(runner);
  end process;

  test_runner_watchdog(runner, 10 ms);
end architecture tb;

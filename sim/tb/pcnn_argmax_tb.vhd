-- pcnn_argmax_tb: pcnn_argmax gives the class index of every pixel.
-- Streams G_IMAGES images of G_PIXELS pixels x G_CH channels (<output_path>/input.txt:
-- int8, pixel by pixel, channel fastest) back to back under random input gaps and output
-- backpressure (pcnn_tb_source, pcnn_tb_sink), and checks every output beat against
-- <output_path>/expected.txt (one index per pixel, from pocket_cnn.reference.argmax, as
-- a signed byte), m_last on the last pixel of each image only, and the stream rules.
library ieee;
use ieee.std_logic_1164.all;

library vunit_lib;
context vunit_lib.vunit_context;

library pocket_cnn;
use pocket_cnn.pcnn_pkg.all;

use work.pcnn_tb_pkg.all;

entity pcnn_argmax_tb is
  generic (
    runner_cfg  : string;
    G_CH        : positive := 1; -- channels
    G_PIXELS    : positive := 1; -- H*W
    G_IMAGES    : positive := 1; -- images back to back
    G_STALL_IN  : natural  := 0; -- percent input gaps
    G_STALL_OUT : natural  := 0; -- percent output backpressure
    G_SEED      : positive := 1  -- seed of gaps and backpressure
  );
end entity pcnn_argmax_tb;

architecture sim of pcnn_argmax_tb is
  constant C_PATH : string           := output_path(runner_cfg);
  constant C_IN   : pcnn_int_array_t := pcnn_tb_read_ints(C_PATH & "input.txt");
  constant C_EXP  : pcnn_int_array_t := pcnn_tb_read_ints(C_PATH & "expected.txt");

  signal clk                      : std_logic := '0';
  signal rst                      : std_logic := '1';
  signal s_valid, s_ready, s_last : std_logic;
  signal s_data                   : std_logic_vector(G_CH * 8 - 1 downto 0);
  signal m_valid, m_ready, m_last : std_logic;
  signal m_data                   : std_logic_vector(7 downto 0);
  signal done_in, done_out        : boolean;
  signal cycles                   : natural;
begin
  clk <= not clk after 5 ns;

  dut : entity pocket_cnn.pcnn_argmax
    generic map (G_CH => G_CH)
    port map (clk => clk, rst => rst, s_valid => s_valid, s_ready => s_ready,
              s_data => s_data, s_last => s_last, m_valid => m_valid, m_ready => m_ready,
              m_data => m_data, m_last => m_last);

  u_source : entity work.pcnn_tb_source
    generic map (G_VALUES => C_IN, G_BYTES => G_CH, G_PER_IMG => G_PIXELS,
                 G_STALL => G_STALL_IN, G_SEED => G_SEED)
    port map (clk => clk, rst => rst, valid => s_valid, ready => s_ready, data => s_data,
              last => s_last, done => done_in);

  u_sink : entity work.pcnn_tb_sink
    generic map (G_EXPECTED => C_EXP, G_BYTES => 1, G_PER_IMG => G_PIXELS,
                 G_STALL => G_STALL_OUT, G_SEED => G_SEED + 3)
    port map (clk => clk, rst => rst, valid => m_valid, ready => m_ready, data => m_data,
              last => m_last, done => done_out, cycles => cycles);

  main : process
  begin
    test_runner_setup(runner, runner_cfg);
    check_equal(C_IN'length, G_IMAGES * G_PIXELS * G_CH, "words in input.txt");
    check_equal(C_EXP'length, G_IMAGES * G_PIXELS, "words in expected.txt");
    pcnn_tb_reset(clk, rst);
    wait until done_out;
    check(done_in, "input not fully consumed");
    if G_STALL_IN = 0 and G_STALL_OUT = 0 then
      -- a beat every clock: the last result at most a few clocks after the input ends
      check(cycles <= G_IMAGES * G_PIXELS + 4,
            "throughput: " & integer'image(cycles) & " cycles for " &
            integer'image(G_IMAGES * G_PIXELS) & " beats");
    end if;
    test_runner_cleanup(runner);
  end process;

  test_runner_watchdog(runner, 10 ms);
end architecture sim;

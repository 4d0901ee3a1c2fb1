-- pcnn_gap_tb: pcnn_gap against the Python reference (pocket_cnn.reference.gap).
-- Streams G_IMAGES maps of G_PIXELS pixels x G_CH channels (<output_path>/input.txt:
-- int8, pixel by pixel, channel fastest) back to back under random input gaps and output
-- backpressure (pcnn_tb_source, pcnn_tb_sink), and checks every result channel against
-- <output_path>/expected.txt (image by image, channel fastest), m_last on the last beat
-- of every result (every beat; serial: the last channel's) and the stream rules. The
-- GAP constants come as scalar generics (computed by pocket_cnn.emit.gap; VUnit sets
-- only scalar generics) and form the pcnn_gap_cfg_t record of the DUT.
library ieee;
use ieee.std_logic_1164.all;

library vunit_lib;
context vunit_lib.vunit_context;

library pocket_cnn;
use pocket_cnn.pcnn_pkg.all;

use work.pcnn_tb_pkg.all;

entity pcnn_gap_tb is
  generic (
    runner_cfg  : string;
    G_CH        : positive := 1;   -- channels
    G_PIXELS    : positive := 1;   -- H*W
    G_IMAGES    : positive := 1;   -- images back to back
    G_STALL_IN  : natural  := 0;   -- percent input gaps
    G_STALL_OUT : natural  := 0;   -- percent output backpressure
    G_SEED      : positive := 1;   -- seed of gaps and backpressure
    -- fields of pcnn_gap_cfg_t (see rtl/pcnn_pkg.vhd)
    G_ACC_BITS : positive := 9;
    G_CLAMP_LO : integer  := -128;
    G_CLAMP_HI : integer  := 127;
    G_MUL_A    : positive := 2;
    G_ADD_B    : natural  := 1;
    G_K_BITS   : positive := 9;
    G_MUL_M    : positive := 1;
    G_M_BITS   : positive := 1;
    G_SHIFT    : positive := 1;
    G_K0       : natural  := 0;
    G_BANKED   : boolean  := true;
    G_SERIAL   : boolean  := false
  );
end entity pcnn_gap_tb;

architecture sim of pcnn_gap_tb is
  constant C_PATH  : string           := output_path(runner_cfg);
  constant C_IN    : pcnn_int_array_t := pcnn_tb_read_ints(C_PATH & "input.txt");
  constant C_EXP   : pcnn_int_array_t := pcnn_tb_read_ints(C_PATH & "expected.txt");
  constant C_CFG   : pcnn_gap_cfg_t   := (
    ch => G_CH, pixels => G_PIXELS, acc_bits => G_ACC_BITS, clamp_lo => G_CLAMP_LO,
    clamp_hi => G_CLAMP_HI, mul_a => G_MUL_A, add_b => G_ADD_B, k_bits => G_K_BITS,
    mul_m => G_MUL_M, m_bits => G_M_BITS, shift => G_SHIFT, k0 => G_K0, banked => G_BANKED,
    serial => G_SERIAL);
  -- bytes per output beat and beats per result
  constant C_OUT   : positive         := pcnn_gap_out_ch(C_CFG);
  constant C_BEATS : positive         := G_CH / C_OUT;

  signal clk                      : std_logic := '0';
  signal rst                      : std_logic := '1';
  signal s_valid, s_ready, s_last : std_logic;
  signal s_data                   : std_logic_vector(G_CH * 8 - 1 downto 0);
  signal m_valid, m_ready, m_last : std_logic;
  signal m_data                   : std_logic_vector(C_OUT * 8 - 1 downto 0);
  signal done_in, done_out        : boolean;
begin
  clk <= not clk after 5 ns;

  dut : entity pocket_cnn.pcnn_gap
    generic map (G_CFG => C_CFG)
    port map (clk => clk, rst => rst, s_valid => s_valid, s_ready => s_ready,
              s_data => s_data, m_valid => m_valid, m_ready => m_ready, m_data => m_data,
              m_last => m_last);

  u_source : entity work.pcnn_tb_source
    generic map (G_VALUES => C_IN, G_BYTES => G_CH, G_PER_IMG => G_PIXELS,
                 G_STALL => G_STALL_IN, G_SEED => G_SEED)
    port map (clk => clk, rst => rst, valid => s_valid, ready => s_ready, data => s_data,
              last => s_last, done => done_in);

  u_sink : entity work.pcnn_tb_sink
    generic map (G_EXPECTED => C_EXP, G_BYTES => C_OUT, G_PER_IMG => C_BEATS,
                 G_STALL => G_STALL_OUT, G_SEED => G_SEED + 3)
    port map (clk => clk, rst => rst, valid => m_valid, ready => m_ready, data => m_data,
              last => m_last, done => done_out);

  main : process
  begin
    test_runner_setup(runner, runner_cfg);
    check_equal(C_IN'length, G_IMAGES * G_PIXELS * G_CH, "words in input.txt");
    check_equal(C_EXP'length, G_IMAGES * G_CH, "words in expected.txt");
    pcnn_tb_reset(clk, rst);
    wait until done_out;
    check(done_in, "input not fully consumed");
    test_runner_cleanup(runner);
  end process;

  test_runner_watchdog(runner, 10 ms);
end architecture sim;

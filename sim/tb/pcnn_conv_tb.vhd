-- pcnn_conv_tb: testbench of pcnn_conv. Windows from <output_path>/in.txt, weights and
-- biases from weights.txt / bias.txt, expected pixels from expected.txt (all written by
-- sim/suites/entities.py, expected values from pocket_cnn.reference). s_last is set on
-- every G_PER_IMG-th window and must come out on the matching pixel. With G_NO_STALL the
-- input must never wait (one window per clock at full parallelism); with G_CLOCKS > 0 a
-- window must take exactly G_CLOCKS = pcnn_cycles_per_pixel clocks (folded, no stalls).
library ieee;
use ieee.std_logic_1164.all;

library vunit_lib;
context vunit_lib.vunit_context;

library pocket_cnn;
use pocket_cnn.pcnn_pkg.all;

use work.pcnn_tb_pkg.all;

entity pcnn_conv_tb is
  generic (
    runner_cfg  : string;
    G_CH_IN     : positive := 1;     -- input channels
    G_CH_OUT    : positive := 1;     -- output channels
    G_KERNEL    : positive := 3;     -- kernel size
    G_SHIFT     : integer  := 0;     -- requantisation shift
    G_ACT       : natural  := 0;     -- 0 none, 1 relu, 2 leaky
    G_IN_SIGNED : boolean  := true;  -- int8 (true) or uint8 input bytes
    G_PAR_IN    : positive := 1;     -- input channels per clock
    G_PAR_OUT   : positive := 1;     -- output channels per clock
    G_PAR_K     : natural  := 0;     -- kernel taps per clock (0 = all K*K)
    G_WROM_BRAM : boolean  := false; -- folded weights as a block RAM read
    G_ACC_BITS  : positive := 32;    -- accumulator width
    G_PER_IMG   : positive := 4;     -- windows per "image" (last flag period)
    G_STALL_IN  : natural  := 0;     -- % of cycles the source pauses
    G_STALL_OUT : natural  := 0;     -- % of cycles the sink is not ready
    G_NO_STALL  : boolean  := false; -- check one window per clock
    G_CLOCKS    : natural  := 0;     -- > 0: exact steady-state clocks per window (no stalls)
    G_SEED      : positive := 1      -- random seed
  );
end entity pcnn_conv_tb;

architecture tb of pcnn_conv_tb is
  constant C_PATH : string           := output_path(runner_cfg);
  constant C_IN   : pcnn_int_array_t := pcnn_tb_read_ints(C_PATH & "in.txt");
  constant C_EXP  : pcnn_int_array_t := pcnn_tb_read_ints(C_PATH & "expected.txt");
  constant C_WTS  : pcnn_int_array_t := pcnn_tb_read_ints(C_PATH & "weights.txt");
  constant C_BIAS : pcnn_int_array_t := pcnn_tb_read_ints(C_PATH & "bias.txt");
  constant C_KK   : positive         := G_KERNEL * G_KERNEL;
  constant C_PK   : positive         := pcnn_max(1, G_PAR_K + C_KK * boolean'pos(G_PAR_K = 0));
  constant C_CFG  : pcnn_pe_cfg_t    := (
    ch_in => G_CH_IN, ch_out => G_CH_OUT, height => G_KERNEL, width => G_KERNEL,
    kernel => G_KERNEL, stride => 1, pad => 0, shift => G_SHIFT,
    act => pcnn_act_t'val(G_ACT), in_signed => G_IN_SIGNED, pool_kernel => 0,
    pool_stride => 1, par_in => G_PAR_IN, par_out => G_PAR_OUT,
    par_k => C_PK, wrom_bram => G_WROM_BRAM, acc_bits => G_ACC_BITS,
    requant => PCNN_RQ_SHIFT, pad_value => 0, zp => 0, clamp_lo => -128, clamp_hi => 127,
    mem_form => false, mul_logic => false, rq_digit => 0);

  signal clk                      : std_logic := '0';
  signal rst                      : std_logic := '1';
  signal s_valid, s_ready, s_last : std_logic := '0';
  signal s_data                   : std_logic_vector(C_KK * G_CH_IN * 8 - 1 downto 0);
  signal m_valid, m_ready, m_last : std_logic;
  signal m_data                   : std_logic_vector(G_CH_OUT * 8 - 1 downto 0);
  signal done_in, done_out        : boolean;
  signal cyc                      : real; -- sink: mean cycles between image ends
begin
  clk <= not clk after 5 ns;

  dut : entity pocket_cnn.pcnn_conv
    generic map (G_CFG => C_CFG, G_WEIGHTS => C_WTS, G_BIAS => C_BIAS)
    port map (clk => clk, rst => rst, s_valid => s_valid, s_ready => s_ready, s_data => s_data,
              s_last => s_last, m_valid => m_valid, m_ready => m_ready, m_data => m_data,
              m_last => m_last);

  u_source : entity work.pcnn_tb_source
    generic map (G_VALUES => C_IN, G_BYTES => C_KK * G_CH_IN, G_PER_IMG => G_PER_IMG,
                 G_STALL => G_STALL_IN, G_SEED => G_SEED,
                 G_NO_STALL => G_NO_STALL, G_RATE_MSG => "conv did not accept one window per clock")
    port map (clk => clk, rst => rst, valid => s_valid, ready => s_ready, data => s_data,
              last => s_last, done => done_in);

  u_sink : entity work.pcnn_tb_sink
    generic map (G_EXPECTED => C_EXP, G_BYTES => G_CH_OUT, G_PER_IMG => G_PER_IMG,
                 G_STALL => G_STALL_OUT, G_SEED => G_SEED + 1, G_IDLE => 20)
    port map (clk => clk, rst => rst, valid => m_valid, ready => m_ready, data => m_data,
              last => m_last, done => done_out, img_cycles => cyc);

  p_main : process
  begin
    test_runner_setup(runner, runner_cfg);
    pcnn_tb_reset(clk, rst);
    wait until done_out;
    check(done_in, "input not fully consumed");
    info("cycles per " & integer'image(G_PER_IMG) & " windows: " & real'image(cyc));
    if G_CLOCKS > 0 then
      check_equal(pcnn_cycles_per_pixel(C_CFG), G_CLOCKS, "pcnn_cycles_per_pixel");
      check(abs (cyc - real(G_PER_IMG * G_CLOCKS)) < 0.01, "clocks per " & integer'image(G_PER_IMG)
            & " windows " & real'image(cyc) & ", want " & integer'image(G_PER_IMG * G_CLOCKS));
    end if;
    test_runner_cleanup(runner);
  end process;

  test_runner_watchdog(runner, 10 ms);
end architecture tb;

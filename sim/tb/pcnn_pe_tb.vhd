-- pcnn_pe_tb: testbench of pcnn_pe (window -> conv -> [window -> maxpool]). Images from
-- <output_path>/in.txt (pixel per beat), weights.txt, bias.txt, expected output pixels from
-- expected.txt (pocket_cnn.reference.conv_stage). m_last must mark the last pixel of each
-- image. G_MAX_CYCLES > 0 checks the steady-state cycles per image (no-stall runs), G_CLOCKS
-- > 0 the clocks per window of pcnn_cycles_per_pixel.
library ieee;
use ieee.std_logic_1164.all;

library vunit_lib;
context vunit_lib.vunit_context;

library pocket_cnn;
use pocket_cnn.pcnn_pkg.all;

use work.pcnn_tb_pkg.all;

entity pcnn_pe_tb is
  generic (
    runner_cfg    : string;
    G_CH_IN       : positive := 1;    -- input channels
    G_CH_OUT      : positive := 1;    -- output channels
    G_HEIGHT      : positive := 4;    -- input height
    G_WIDTH       : positive := 4;    -- input width
    G_KERNEL      : positive := 3;    -- conv kernel
    G_STRIDE      : positive := 1;    -- conv stride
    G_PAD         : natural  := 0;    -- conv zero padding
    G_SHIFT       : integer  := 0;    -- requantisation shift
    G_ACT         : natural  := 0;    -- 0 none, 1 relu, 2 leaky
    G_IN_SIGNED   : boolean  := true; -- int8 (true) or uint8 input bytes
    G_POOL_KERNEL : natural  := 0;    -- 0 = no max-pool
    G_POOL_STRIDE : positive := 1;    -- max-pool stride
    G_PAR_IN      : positive := 1;    -- input channels per clock
    G_PAR_OUT     : positive := 1;    -- output channels per clock
    G_PAR_K       : natural  := 0;    -- kernel taps per clock (0 = all K*K)
    G_WROM_BRAM   : boolean  := false; -- folded weights as a block RAM read
    G_ACC_BITS    : positive := 32;   -- accumulator width
    G_MEM_FORM    : boolean  := false; -- memory-window form (pcnn_pe_mem)
    G_MUL_LOGIC   : boolean  := false; -- memory form: products in logic (no DSP)
    G_STALL_IN    : natural  := 0;    -- % of cycles the source pauses
    G_STALL_OUT   : natural  := 0;    -- % of cycles the sink is not ready
    G_MAX_CYCLES  : natural  := 0;    -- > 0: bound on steady-state cycles per image
    G_CLOCKS      : natural  := 0;    -- > 0: pcnn_cycles_per_pixel must equal it
    G_SEED        : positive := 1     -- random seed
  );
end entity pcnn_pe_tb;

architecture tb of pcnn_pe_tb is
  constant C_PATH : string           := output_path(runner_cfg);
  constant C_IN   : pcnn_int_array_t := pcnn_tb_read_ints(C_PATH & "in.txt");
  constant C_EXP  : pcnn_int_array_t := pcnn_tb_read_ints(C_PATH & "expected.txt");
  constant C_WTS  : pcnn_int_array_t := pcnn_tb_read_ints(C_PATH & "weights.txt");
  constant C_BIAS : pcnn_int_array_t := pcnn_tb_read_ints(C_PATH & "bias.txt");
  constant C_KK   : positive         := G_KERNEL * G_KERNEL;
  constant C_PK   : positive         := pcnn_max(1, G_PAR_K + C_KK * boolean'pos(G_PAR_K = 0));
  constant C_CFG  : pcnn_pe_cfg_t    := (
    ch_in => G_CH_IN, ch_out => G_CH_OUT, height => G_HEIGHT, width => G_WIDTH,
    kernel => G_KERNEL, stride => G_STRIDE, pad => G_PAD, shift => G_SHIFT,
    act => pcnn_act_t'val(G_ACT), in_signed => G_IN_SIGNED, pool_kernel => G_POOL_KERNEL,
    pool_stride => G_POOL_STRIDE, par_in => G_PAR_IN, par_out => G_PAR_OUT,
    par_k => C_PK, wrom_bram => G_WROM_BRAM,
    acc_bits => G_ACC_BITS, requant => PCNN_RQ_SHIFT, pad_value => 0, zp => 0,
    clamp_lo => -128, clamp_hi => 127, mem_form => G_MEM_FORM, mul_logic => G_MUL_LOGIC,
    rq_digit => 0);

  constant C_OUT_PIX : positive := pcnn_out_height(C_CFG) * pcnn_out_width(C_CFG);

  signal clk                      : std_logic := '0';
  signal rst                      : std_logic := '1';
  signal s_valid, s_ready, s_last : std_logic := '0';
  signal s_data                   : std_logic_vector(G_CH_IN * 8 - 1 downto 0);
  signal m_valid, m_ready, m_last : std_logic;
  signal m_data                   : std_logic_vector(G_CH_OUT * 8 - 1 downto 0);
  signal done_in, done_out        : boolean;
  signal cyc                      : real; -- sink: mean cycles between image ends
begin
  clk <= not clk after 5 ns;

  dut : entity pocket_cnn.pcnn_pe
    generic map (G_CFG => C_CFG, G_WEIGHTS => C_WTS, G_BIAS => C_BIAS)
    port map (clk => clk, rst => rst, s_valid => s_valid, s_ready => s_ready, s_data => s_data,
              m_valid => m_valid, m_ready => m_ready, m_data => m_data, m_last => m_last);

  u_source : entity work.pcnn_tb_source
    generic map (G_VALUES => C_IN, G_BYTES => G_CH_IN, G_PER_IMG => G_HEIGHT * G_WIDTH,
                 G_STALL => G_STALL_IN, G_SEED => G_SEED)
    port map (clk => clk, rst => rst, valid => s_valid, ready => s_ready, data => s_data,
              last => s_last, done => done_in);

  u_sink : entity work.pcnn_tb_sink
    generic map (G_EXPECTED => C_EXP, G_BYTES => G_CH_OUT, G_PER_IMG => C_OUT_PIX,
                 G_STALL => G_STALL_OUT, G_SEED => G_SEED + 1, G_IDLE => 40)
    port map (clk => clk, rst => rst, valid => m_valid, ready => m_ready, data => m_data,
              last => m_last, done => done_out, img_cycles => cyc);

  p_main : process
  begin
    test_runner_setup(runner, runner_cfg);
    pcnn_tb_reset(clk, rst);
    wait until done_out;
    check(done_in, "input not fully consumed");
    info("cycles per image (steady state): " & real'image(cyc) & ", input pixels per image: "
         & integer'image(G_HEIGHT * G_WIDTH) & ", clocks per window: "
         & integer'image(pcnn_cycles_per_pixel(C_CFG)));
    if G_CLOCKS > 0 then
      check_equal(pcnn_cycles_per_pixel(C_CFG), G_CLOCKS, "pcnn_cycles_per_pixel");
    end if;
    if G_MAX_CYCLES > 0 then
      check(cyc <= real(G_MAX_CYCLES), "cycles per image " & real'image(cyc)
            & " above the bound " & integer'image(G_MAX_CYCLES));
    end if;
    test_runner_cleanup(runner);
  end process;

  test_runner_watchdog(runner, 20 ms);
end architecture tb;

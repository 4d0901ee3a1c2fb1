-- pcnn_conv: multiply-accumulate of one K x K window, requantisation and activation.
-- Input: one window per beat (element ky*K+kx, channel fastest: byte (ky*K+kx)*Cin+ci).
-- Output: one pixel per beat (channel co in bits 8co+7 downto 8co), int8.
-- acc = bias + sum(x * w), y = act(sat8(RNE(acc * 2**-shift))) (docs/numerics.md).
-- par_in input channels x par_out output channels are computed per clock:
-- ceil(ch_in/par_in) * ceil(ch_out/par_out) clocks per window (1 at full parallelism,
-- fully pipelined). Pipeline: window register -> MAC -> accumulator register ->
-- requantise/activate -> output register; valid/ready everywhere.
library ieee;
use ieee.std_logic_1164.all;
use ieee.numeric_std.all;

library pocket_cnn;
use pocket_cnn.pcnn_pkg.all;

entity pcnn_conv is
  generic (
    G_CFG     : pcnn_pe_cfg_t;    -- PE configuration (geometry, shift, act, parallelism)
    G_WEIGHTS : pcnn_int_array_t; -- Cout*Cin*K*K int8 weights, ONNX order (co, ci, ky, kx)
    G_BIAS    : pcnn_int_array_t  -- Cout biases at scale 2**-(frac_in + frac_w)
  );
  port (
    clk     : in  std_logic;
    rst     : in  std_logic;
    s_valid : in  std_logic;
    s_ready : out std_logic;
    s_data  : in  std_logic_vector(G_CFG.kernel * G_CFG.kernel * G_CFG.ch_in * 8 - 1 downto 0);
    s_last  : in  std_logic;
    m_valid : out std_logic;
    m_ready : in  std_logic;
    m_data  : out std_logic_vector(G_CFG.ch_out * 8 - 1 downto 0);
    m_last  : out std_logic
  );
end entity;

architecture rtl of pcnn_conv is

  constant C_CI    : positive := G_CFG.ch_in;
  constant C_CO    : positive := G_CFG.ch_out;
  constant C_KK    : positive := G_CFG.kernel * G_CFG.kernel;
  constant C_PI    : positive := pcnn_min(G_CFG.par_in, C_CI);
  constant C_PO    : positive := pcnn_min(G_CFG.par_out, C_CO);
  constant C_NIG   : positive := pcnn_ceil_div(C_CI, C_PI);
  constant C_NOG   : positive := pcnn_ceil_div(C_CO, C_PO);
  constant C_ACC_W : positive := pcnn_max(G_CFG.acc_bits, 2);
  constant C_NPROD : positive := C_PI * C_KK; -- products per output channel and clock

  constant C_WTS  : pcnn_int_array_t(0 to G_WEIGHTS'length - 1) := G_WEIGHTS;
  constant C_BIAS : pcnn_int_array_t(0 to G_BIAS'length - 1)    := G_BIAS;

  type acc_arr_t is array (0 to C_PO - 1) of signed(C_ACC_W - 1 downto 0);
  -- adder tree: start value + C_NPROD products, padded to a power of two
  constant C_TREE_N : positive := pcnn_pow2_ceil(C_NPROD + 1);
  constant C_LEVELS : positive := pcnn_clog2(C_TREE_N);

  -- stage A: the window being processed, group counters, partial sums
  signal a_valid, a_last : std_logic;
  signal x_reg           : std_logic_vector(s_data'range);
  signal ig              : natural range 0 to C_NIG - 1;
  signal og              : natural range 0 to C_NOG - 1;
  signal acc_part        : acc_arr_t;
  signal sums            : acc_arr_t;
  -- stage B: finished accumulators of one output group
  signal b_valid, b_last, b_final : std_logic;
  signal b_og                     : natural range 0 to C_NOG - 1;
  signal b_acc                    : acc_arr_t;
  -- stage C: pixel assembly and output register
  signal asm       : std_logic_vector(C_CO * 8 - 1 downto 0);
  signal m_valid_r : std_logic;

  signal out_free, b_move, b_free, a_step, a_done : std_logic;

begin

  assert G_WEIGHTS'length = C_CO * C_CI * C_KK
    report "pcnn_conv: G_WEIGHTS must hold ch_out*ch_in*kernel*kernel values" severity failure;
  assert G_BIAS'length = C_CO
    report "pcnn_conv: G_BIAS must hold ch_out values" severity failure;

  -- handshake of the pipeline (combinational, from registers and m_ready)
  out_free <= (not m_valid_r) or m_ready;
  b_move   <= b_valid and ((not b_final) or out_free);
  b_free   <= (not b_valid) or b_move;
  a_step   <= a_valid and b_free when ig = C_NIG - 1 else a_valid;
  a_done   <= a_step when ig = C_NIG - 1 and og = C_NOG - 1 else '0';
  s_ready  <= (not a_valid) or a_done;
  m_valid  <= m_valid_r;

  -- MAC of the current (output group, input group), combinational from registers:
  -- sums(j) = start + sum over (i, kk) of x(ig*PI+i, kk) * w(og*PO+j, ig*PI+i, kk),
  -- start = bias (first input group) or the partial sum. Wrap-around arithmetic in
  -- C_ACC_W bits (exact: acc_bits never overflows). Two implementations with the same
  -- result: integer arithmetic (fast in simulation) when the accumulator fits a 32-bit
  -- integer, signed vectors otherwise.
  g_mac_int : if C_ACC_W <= 31 generate
    subtype x_int_t is integer range -128 to 255;
    subtype w_int_t is integer range -128 to 127;
    subtype acc_int_t is integer range -2 ** (C_ACC_W - 1) to 2 ** (C_ACC_W - 1) - 1;
    -- one product x * w: 17 bits like the 9 x 8 bit signed product (the explicit width
    -- keeps each multiplier narrow in synthesis instead of accumulator-wide)
    subtype prod_int_t is integer range -2 ** 16 to 2 ** 16 - 1;
    -- weight ROM: one word per (output group, input group), element j*NPROD + i*KK + kk
    type wvec_t is array (0 to C_PO * C_NPROD - 1) of w_int_t;
    type wrom_t is array (0 to C_NOG * C_NIG - 1) of wvec_t;
    -- bias ROM: one word per output group, element j
    type bvec_t is array (0 to C_PO - 1) of acc_int_t;
    type brom_t is array (0 to C_NOG - 1) of bvec_t;
    type x_int_arr_t is array (0 to C_NPROD - 1) of x_int_t;
    type t_int_arr_t is array (0 to C_TREE_N - 1) of integer;

    function build_wrom return wrom_t is
      variable rom    : wrom_t := (others => (others => 0));
      variable co, ci : integer;
    begin
      for o in 0 to C_NOG - 1 loop
        for g in 0 to C_NIG - 1 loop
          for j in 0 to C_PO - 1 loop
            for i in 0 to C_PI - 1 loop
              co := o * C_PO + j;
              ci := g * C_PI + i;
              if co < C_CO and ci < C_CI then
                for kk in 0 to C_KK - 1 loop
                  rom(o * C_NIG + g)(j * C_NPROD + i * C_KK + kk) :=
                    C_WTS((co * C_CI + ci) * C_KK + kk);
                end loop;
              end if;
            end loop;
          end loop;
        end loop;
      end loop;
      return rom;
    end function;

    function build_brom return brom_t is
      variable rom : brom_t := (others => (others => 0));
    begin
      for co in 0 to C_CO - 1 loop -- wrapped to C_ACC_W bits like the vector path
        rom(co / C_PO)(co mod C_PO) := to_integer(to_signed(C_BIAS(co), C_ACC_W));
      end loop;
      return rom;
    end function;

    constant C_WROM : wrom_t := build_wrom;
    constant C_BROM : brom_t := build_brom;
  begin
    p_mac : process (all)
      variable xb : std_logic_vector(7 downto 0);
      variable xv : x_int_arr_t;
      variable w  : wvec_t;
      variable b  : bvec_t;
      variable t  : t_int_arr_t;
      variable pr : prod_int_t;
    begin
      w := C_WROM(og * C_NIG + ig);
      b := C_BROM(og);
      -- input bytes of the current input group as integers (zero for padded channels);
      -- unsigned conversion + sign correction (much faster than a signed to_integer)
      for i in 0 to C_PI - 1 loop
        for kk in 0 to C_KK - 1 loop
          xb := (others => '0');
          for g in 0 to C_NIG - 1 loop
            if ig = g and g * C_PI + i < C_CI then
              xb := x_reg((kk * C_CI + g * C_PI + i) * 8 + 7 downto (kk * C_CI + g * C_PI + i) * 8);
            end if;
          end loop;
          xv(i * C_KK + kk) := to_integer(unsigned(xb));
          if G_CFG.in_signed and xb(7) = '1' then
            xv(i * C_KK + kk) := xv(i * C_KK + kk) - 256;
          end if;
        end loop;
      end loop;
      for j in 0 to C_PO - 1 loop
        t := (others => 0);
        if ig = 0 then
          t(0) := b(j);
        else
          t(0) := to_integer(unsigned(acc_part(j)(C_ACC_W - 2 downto 0)));
          if acc_part(j)(C_ACC_W - 1) = '1' then
            t(0) := t(0) - 2 ** (C_ACC_W - 1);
          end if;
        end if;
        for p in 0 to C_NPROD - 1 loop
          pr := xv(p) * w(j * C_NPROD + p);
          t(1 + p) := pr;
        end loop;
        -- balanced adder tree, in place
        for lvl in 0 to C_LEVELS - 1 loop
          for i in 0 to C_TREE_N / 2 - 1 loop
            if i < C_TREE_N / 2 ** (lvl + 1) then
              t(i) := t(2 * i) + t(2 * i + 1);
            end if;
          end loop;
        end loop;
        sums(j) <= to_signed(t(0), C_ACC_W);
      end loop;
    end process;
  end generate;

  g_mac_vec : if C_ACC_W > 31 generate
    -- weight ROM: one word per (output group, input group), bytes (j*PI + i)*KK + kk
    subtype wword_t is std_logic_vector(C_PO * C_NPROD * 8 - 1 downto 0);
    type wrom_t is array (0 to C_NOG * C_NIG - 1) of wword_t;
    -- bias ROM: one word per output group, C_ACC_W bits per channel
    subtype bword_t is std_logic_vector(C_PO * C_ACC_W - 1 downto 0);
    type brom_t is array (0 to C_NOG - 1) of bword_t;

    function build_wrom return wrom_t is
      variable rom    : wrom_t := (others => (others => '0'));
      variable co, ci : integer;
      variable b      : integer;
    begin
      for o in 0 to C_NOG - 1 loop
        for g in 0 to C_NIG - 1 loop
          for j in 0 to C_PO - 1 loop
            for i in 0 to C_PI - 1 loop
              co := o * C_PO + j;
              ci := g * C_PI + i;
              if co < C_CO and ci < C_CI then
                for kk in 0 to C_KK - 1 loop
                  b := (j * C_PI + i) * C_KK + kk;
                  rom(o * C_NIG + g)(b * 8 + 7 downto b * 8) :=
                    std_logic_vector(to_signed(C_WTS((co * C_CI + ci) * C_KK + kk), 8));
                end loop;
              end if;
            end loop;
          end loop;
        end loop;
      end loop;
      return rom;
    end function;

    function build_brom return brom_t is
      variable rom : brom_t := (others => (others => '0'));
      variable co  : integer;
    begin
      for o in 0 to C_NOG - 1 loop
        for j in 0 to C_PO - 1 loop
          co := o * C_PO + j;
          if co < C_CO then
            rom(o)((j + 1) * C_ACC_W - 1 downto j * C_ACC_W) :=
              std_logic_vector(to_signed(C_BIAS(co), C_ACC_W));
          end if;
        end loop;
      end loop;
      return rom;
    end function;

    constant C_WROM : wrom_t := build_wrom;
    constant C_BROM : brom_t := build_brom;

    -- adder tree: start value + C_NPROD products, padded to a power of two
    type tree_t is array (0 to C_TREE_N - 1) of signed(C_ACC_W - 1 downto 0);

    -- Balanced sum of all terms (wrap-around arithmetic: exact as long as the total fits).
    function tree_sum(terms : tree_t) return signed is
      variable t : tree_t := terms;
    begin
      for lvl in 0 to C_LEVELS - 1 loop
        for i in 0 to C_TREE_N / 2 - 1 loop
          if i < C_TREE_N / 2 ** (lvl + 1) then
            t(i) := t(2 * i) + t(2 * i + 1);
          end if;
        end loop;
      end loop;
      return t(0);
    end function;

  begin
    p_mac : process (all)
      variable wword : wword_t;
      variable bword : bword_t;
      variable xb    : std_logic_vector(7 downto 0);
      variable xv    : signed(8 downto 0);
      variable wv    : signed(7 downto 0);
      variable ci    : integer;
      variable terms : tree_t;
      variable b     : integer;
    begin
      wword := C_WROM(og * C_NIG + ig);
      bword := C_BROM(og);
      for j in 0 to C_PO - 1 loop
        terms := (others => (others => '0'));
        if ig = 0 then
          terms(0) := signed(bword((j + 1) * C_ACC_W - 1 downto j * C_ACC_W));
        else
          terms(0) := acc_part(j);
        end if;
        for i in 0 to C_PI - 1 loop
          for kk in 0 to C_KK - 1 loop
            xb := (others => '0');
            for g in 0 to C_NIG - 1 loop
              ci := g * C_PI + i;
              if ig = g and ci < C_CI then
                xb := x_reg((kk * C_CI + ci) * 8 + 7 downto (kk * C_CI + ci) * 8);
              end if;
            end loop;
            if G_CFG.in_signed then
              xv := resize(signed(xb), 9);
            else
              xv := signed('0' & xb);
            end if;
            b  := (j * C_PI + i) * C_KK + kk;
            wv := signed(wword(b * 8 + 7 downto b * 8));
            terms(1 + i * C_KK + kk) := resize(xv * wv, C_ACC_W);
          end loop;
        end loop;
        sums(j) <= tree_sum(terms);
      end loop;
    end process;

  end generate;

  p_seq : process (clk)
    variable y   : signed(7 downto 0);
    variable pix : std_logic_vector(C_CO * 8 - 1 downto 0);
    variable co  : integer;
  begin
    if rising_edge(clk) then
      if m_ready = '1' then
        m_valid_r <= '0';
      end if;

      -- stage C: requantise, activate, assemble; emit on the last group
      if b_move = '1' then
        pix := asm;
        for j in 0 to C_PO - 1 loop
          y := pcnn_requant_act(b_acc(j), G_CFG.shift, G_CFG.act);
          for g in 0 to C_NOG - 1 loop
            co := g * C_PO + j;
            if b_og = g and co < C_CO then
              pix(co * 8 + 7 downto co * 8) := std_logic_vector(y);
            end if;
          end loop;
        end loop;
        asm <= pix;
        if b_final = '1' then
          m_data    <= pix;
          m_last    <= b_last;
          m_valid_r <= '1';
        end if;
        b_valid <= '0';
      end if;

      -- stage A -> B
      if a_step = '1' then
        if ig = C_NIG - 1 then
          b_valid <= '1';
          b_acc   <= sums;
          b_og    <= og;
          b_last  <= a_last;
          b_final <= '0';
          if og = C_NOG - 1 then
            b_final <= '1';
          end if;
          ig      <= 0;
          if og = C_NOG - 1 then
            og      <= 0;
            a_valid <= '0';
          else
            og <= og + 1;
          end if;
        else
          ig       <= ig + 1;
          acc_part <= sums;
        end if;
      end if;

      -- accept a new window
      if s_valid = '1' and ((not a_valid) or a_done) = '1' then
        x_reg   <= s_data;
        a_last  <= s_last;
        a_valid <= '1';
      end if;

      if rst = '1' then
        a_valid   <= '0';
        b_valid   <= '0';
        m_valid_r <= '0';
        m_last    <= '0';
        ig        <= 0;
        og        <= 0;
      end if;
    end if;
  end process;

end architecture;

-- pcnn_conv: multiply-accumulate of one K x K window, requantisation and activation.
-- Input: one window per beat (element ky*K+kx, channel fastest: byte (ky*K+kx)*Cin+ci).
-- Output: one pixel per beat (channel co in bits 8co+7 downto 8co), int8.
-- acc = bias + sum(x * w), y = act(sat8(RNE(acc * 2**-shift))) (docs/numerics.md),
-- or with any scale y = act(clamp(RNE(acc * m(co) * 2**-s(co))) + zp) (requant mult or
-- exact, pocket_cnn.emit.hw_view).
-- par_in input channels x par_out output channels are computed per clock:
-- ceil(ch_in/par_in) * ceil(ch_out/par_out) clocks per window (1 at full parallelism,
-- fully pipelined). Pipeline: window register -> product registers -> adder tree
-- (a register every 2 levels; constant-weight products also take the first level)
-- -> accumulator register (+ bias or partial sum) -> requantise/activate -> output
-- register. A stall of the output freezes every stage at once (one enable), so
-- nothing is lost or duplicated.
library ieee;
use ieee.std_logic_1164.all;
use ieee.numeric_std.all;

library pocket_cnn;
use pocket_cnn.pcnn_pkg.all;

entity pcnn_conv is
  generic (
    G_CFG     : pcnn_pe_cfg_t;    -- PE configuration (geometry, shift, act, parallelism)
    G_WEIGHTS : pcnn_int_array_t; -- Cout*Cin*K*K int8 weights, ONNX order (co, ci, ky, kx)
    G_BIAS    : pcnn_int_array_t; -- Cout biases (input zero point folded in)
    G_MULT    : pcnn_int_array_t := (0 => 1); -- Cout requant mantissas (mult, exact)
    G_MSHIFT  : pcnn_int_array_t := (0 => 0); -- Cout requant shifts (mult, exact)
    G_TABLE   : pcnn_int_array_t := (0 => 0)  -- 256 output bytes of act table, index y + 128
  );
  port (
    -- clock, synchronous reset (active high)
    clk     : in  std_logic;
    rst     : in  std_logic;
    -- input: one K x K window per beat (element ky*K+kx, channel fastest)
    s_valid : in  std_logic;
    s_ready : out std_logic;
    s_data  : in  std_logic_vector(G_CFG.kernel * G_CFG.kernel * G_CFG.ch_in * 8 - 1 downto 0);
    s_last  : in  std_logic;
    -- output: one int8 pixel per beat (channel co in bits 8co+7 downto 8co)
    m_valid : out std_logic;
    m_ready : in  std_logic;
    m_data  : out std_logic_vector(G_CFG.ch_out * 8 - 1 downto 0);
    m_last  : out std_logic
  );
end entity pcnn_conv;

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

  -- requantisation constants per output channel, padded to whole output groups
  function pad_ch(a : pcnn_int_array_t; fill : integer) return pcnn_int_array_t is
    constant C_A : pcnn_int_array_t(0 to a'length - 1) := a;
    variable r   : pcnn_int_array_t(0 to C_NOG * C_PO - 1) := (others => fill);
  begin
    for i in 0 to pcnn_min(C_CO, a'length) - 1 loop
      r(i) := C_A(i);
    end loop;
    return r;
  end function;

  constant C_MULT   : pcnn_int_array_t(0 to C_NOG * C_PO - 1) := pad_ch(G_MULT, 1);
  constant C_MSHIFT : pcnn_int_array_t(0 to C_NOG * C_PO - 1) := pad_ch(G_MSHIFT, 0);
  constant C_TABLE  : pcnn_int_array_t(0 to G_TABLE'length - 1) := G_TABLE;

  -- activation table as a ROM of bytes, address = internal y + 128 (MSB flipped)
  type tbl_t is array (0 to 255) of std_logic_vector(7 downto 0);

  function build_tbl return tbl_t is
    variable r : tbl_t := (others => (others => '0'));
  begin
    if C_TABLE'length = 256 then
      for i in 0 to 255 loop
        r(i) := std_logic_vector(to_signed(C_TABLE(i), 8));
      end loop;
    end if;
    return r;
  end function;

  constant C_TBL : tbl_t := build_tbl;
  -- adder tree over the C_NPROD products, padded to a power of two
  constant C_TREE_N : positive := pcnn_pow2_ceil(C_NPROD);
  constant C_LEVELS : natural  := pcnn_log2_ceil(C_TREE_N);
  -- adder-tree levels done with the products (1 when the weights are constants, i.e.
  -- full parallelism: constant multipliers are shallow), levels per later register
  -- stage, and the number of tree register stages after the product register
  function first_levels return natural is
  begin
    if C_NIG * C_NOG = 1 then
      return pcnn_min(1, C_LEVELS);
    end if;
    return 0;
  end function;
  constant C_L0   : natural  := first_levels;
  constant C_LPS  : positive := 2;
  constant C_NSTG : natural  := (C_LEVELS - C_L0 + C_LPS - 1) / C_LPS;

  -- stage A: the window being processed, group counters
  signal a_valid, a_last : std_logic;
  signal x_reg           : std_logic_vector(s_data'range);
  signal ig              : natural range 0 to C_NIG - 1;
  signal og              : natural range 0 to C_NOG - 1;
  -- MAC pipeline tags: index 0 = product register, s = after tree stage s
  type sl_pipe_t is array (0 to C_NSTG) of std_logic;
  type og_pipe_t is array (0 to C_NSTG) of natural range 0 to C_NOG - 1;
  signal tg_valid, tg_first, tg_lastig, tg_last : sl_pipe_t;
  signal tg_og                                  : og_pipe_t;
  -- stage B: accumulators (partial sums while folding; finished when b_valid)
  signal b_valid, b_last, b_final : std_logic;
  signal b_og                     : natural range 0 to C_NOG - 1;
  signal b_acc                    : acc_arr_t;
  -- stage C: pixel assembly and output register
  signal asm       : std_logic_vector(C_CO * 8 - 1 downto 0);
  signal m_valid_r : std_logic;

  -- en: the whole MAC pipeline (A -> products -> tree stages -> B) advances
  signal out_free, b_move, en, a_step, a_done : std_logic;

begin

  assert G_WEIGHTS'length = C_CO * C_CI * C_KK
    report "pcnn_conv: G_WEIGHTS must hold ch_out*ch_in*kernel*kernel values" severity failure;
  assert G_BIAS'length = C_CO
    report "pcnn_conv: G_BIAS must hold ch_out values" severity failure;
  assert G_CFG.requant = PCNN_RQ_SHIFT or (G_MULT'length = C_CO and G_MSHIFT'length = C_CO)
    report "pcnn_conv: G_MULT and G_MSHIFT must hold ch_out values" severity failure;
  assert G_CFG.act /= PCNN_ACT_TABLE or G_TABLE'length = 256
    report "pcnn_conv: G_TABLE must hold 256 values" severity failure;
  assert G_CFG.par_k >= C_KK
    report "pcnn_conv: kernel-tap folding (par_k < kernel*kernel) is not built yet" severity failure;

  -- handshake (combinational, from registers and m_ready): a stall of the output
  -- with a finished accumulator waiting in B freezes every MAC stage at once
  out_free <= (not m_valid_r) or m_ready;
  b_move   <= b_valid and ((not b_final) or out_free);
  en       <= (not b_valid) or b_move;
  a_step   <= a_valid and en;
  a_done   <= a_step when ig = C_NIG - 1 and og = C_NOG - 1 else '0';
  s_ready  <= (not a_valid) or a_done;
  m_valid  <= m_valid_r;

  -- MAC datapath of the current (output group, input group), pipelined:
  --   products register: p = x(ig*PI+i, kk) * w(og*PO+j, ig*PI+i, kk)
  --   (plus the first C_L0 adder levels), then C_NSTG tree register stages of
  --   C_LPS balanced adder levels each
  --   accumulator B: acc(j) = start + tree sum, start = bias (first input group)
  --   or the partial sum held in B (later input groups).
  -- Exact as long as acc_bits never overflows (it cannot, pcnn ir acc_bits bound).
  -- Two implementations with the same result: integer arithmetic (fast in simulation)
  -- when the accumulator fits a 32-bit integer, signed vectors otherwise.
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
    -- tree nodes of one output channel, of all output channels, of every stage
    type node_arr_t is array (0 to C_TREE_N - 1) of acc_int_t;
    type node_po_t is array (0 to C_PO - 1) of node_arr_t;
    type node_pipe_t is array (0 to C_NSTG) of node_po_t;
    type acc_int_arr_t is array (0 to C_PO - 1) of acc_int_t;

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

    signal d     : node_pipe_t;
    signal acc_i : acc_int_arr_t;
  begin
    p_mac : process (clk)
      variable xb : std_logic_vector(7 downto 0);
      variable xv : x_int_arr_t;
      variable w  : wvec_t;
      variable b  : bvec_t;
      variable t  : node_arr_t;
      variable pr : prod_int_t;
      variable v  : acc_int_t;
    begin
      if rising_edge(clk) then
        if en = '1' then
          -- products of the window in stage A
          if a_valid = '1' then
            w := C_WROM(og * C_NIG + ig);
            -- input bytes of the current input group as integers (zero for padded
            -- channels); unsigned conversion + sign correction (faster than signed)
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
              for p in 0 to C_NPROD - 1 loop
                pr   := xv(p) * w(j * C_NPROD + p);
                t(p) := pr;
              end loop;
              for lvl in 0 to C_L0 - 1 loop
                for i in 0 to C_TREE_N / 2 - 1 loop
                  if i < C_TREE_N / 2 ** (lvl + 1) then
                    t(i) := t(2 * i) + t(2 * i + 1);
                  end if;
                end loop;
              end loop;
              d(0)(j) <= t;
            end loop;
          end if;
          -- adder tree stages, C_LPS levels each, in place
          for s in 1 to C_NSTG loop
            if tg_valid(s - 1) = '1' then
              for j in 0 to C_PO - 1 loop
                t := d(s - 1)(j);
                for lvl in C_L0 + (s - 1) * C_LPS to pcnn_min(C_L0 + s * C_LPS, C_LEVELS) - 1 loop
                  for i in 0 to C_TREE_N / 2 - 1 loop
                    if i < C_TREE_N / 2 ** (lvl + 1) then
                      t(i) := t(2 * i) + t(2 * i + 1);
                    end if;
                  end loop;
                end loop;
                d(s)(j) <= t;
              end loop;
            end if;
          end loop;
          -- accumulate: start (bias or partial sum) + tree sum
          if tg_valid(C_NSTG) = '1' then
            b := C_BROM(0);
            if C_NOG > 1 then
              b := C_BROM(tg_og(C_NSTG));
            end if;
            for j in 0 to C_PO - 1 loop
              if tg_first(C_NSTG) = '1' then
                v := b(j) + d(C_NSTG)(j)(0);
              else
                v := acc_i(j) + d(C_NSTG)(j)(0);
              end if;
              acc_i(j) <= v;
              b_acc(j) <= to_signed(v, C_ACC_W);
            end loop;
          end if;
        end if;
      end if;
    end process;
  end generate g_mac_int;

  g_mac_vec : if C_ACC_W > 31 generate
    -- weight ROM: one word per (output group, input group), bytes (j*PI + i)*KK + kk
    subtype wword_t is std_logic_vector(C_PO * C_NPROD * 8 - 1 downto 0);
    type wrom_t is array (0 to C_NOG * C_NIG - 1) of wword_t;
    -- bias ROM: one word per output group, C_ACC_W bits per channel
    subtype bword_t is std_logic_vector(C_PO * C_ACC_W - 1 downto 0);
    type brom_t is array (0 to C_NOG - 1) of bword_t;
    -- tree nodes of one output channel, of all output channels, of every stage
    type node_arr_t is array (0 to C_TREE_N - 1) of signed(C_ACC_W - 1 downto 0);
    type node_po_t is array (0 to C_PO - 1) of node_arr_t;
    type node_pipe_t is array (0 to C_NSTG) of node_po_t;

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

    signal d : node_pipe_t;
  begin
    p_mac : process (clk)
      variable wword : wword_t;
      variable bword : bword_t;
      variable xb    : std_logic_vector(7 downto 0);
      variable xv    : signed(8 downto 0);
      variable wv    : signed(7 downto 0);
      variable ci    : integer;
      variable t     : node_arr_t;
      variable st    : signed(C_ACC_W - 1 downto 0);
      variable b     : integer;
    begin
      if rising_edge(clk) then
        if en = '1' then
          -- products of the window in stage A
          if a_valid = '1' then
            wword := C_WROM(og * C_NIG + ig);
            for j in 0 to C_PO - 1 loop
              t := (others => (others => '0'));
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
                  t(i * C_KK + kk) := resize(xv * wv, C_ACC_W);
                end loop;
              end loop;
              for lvl in 0 to C_L0 - 1 loop
                for i in 0 to C_TREE_N / 2 - 1 loop
                  if i < C_TREE_N / 2 ** (lvl + 1) then
                    t(i) := t(2 * i) + t(2 * i + 1);
                  end if;
                end loop;
              end loop;
              d(0)(j) <= t;
            end loop;
          end if;
          -- adder tree stages, C_LPS levels each, in place (wrap-around arithmetic)
          for s in 1 to C_NSTG loop
            if tg_valid(s - 1) = '1' then
              for j in 0 to C_PO - 1 loop
                t := d(s - 1)(j);
                for lvl in C_L0 + (s - 1) * C_LPS to pcnn_min(C_L0 + s * C_LPS, C_LEVELS) - 1 loop
                  for i in 0 to C_TREE_N / 2 - 1 loop
                    if i < C_TREE_N / 2 ** (lvl + 1) then
                      t(i) := t(2 * i) + t(2 * i + 1);
                    end if;
                  end loop;
                end loop;
                d(s)(j) <= t;
              end loop;
            end if;
          end loop;
          -- accumulate: start (bias or partial sum) + tree sum
          if tg_valid(C_NSTG) = '1' then
            bword := C_BROM(0);
            if C_NOG > 1 then
              bword := C_BROM(tg_og(C_NSTG));
            end if;
            for j in 0 to C_PO - 1 loop
              if tg_first(C_NSTG) = '1' then
                st := signed(bword((j + 1) * C_ACC_W - 1 downto j * C_ACC_W));
              else
                st := b_acc(j);
              end if;
              b_acc(j) <= st + d(C_NSTG)(j)(0);
            end loop;
          end if;
        end if;
      end if;
    end process;

  end generate g_mac_vec;

  p_seq : process (clk)
    variable y   : signed(7 downto 0);
    variable k   : integer;
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
          if G_CFG.requant = PCNN_RQ_SHIFT then
            y := pcnn_requant_act(b_acc(j), G_CFG.shift, G_CFG.act);
          else
            k := j; -- one output group: constant multiplier and shift per channel
            if C_NOG > 1 then
              k := b_og * C_PO + j;
            end if;
            y := pcnn_requant_mult(b_acc(j), C_MULT(k), C_MSHIFT(k),
                G_CFG.requant = PCNN_RQ_EXACT, G_CFG.clamp_lo, G_CFG.clamp_hi, G_CFG.zp);
            if G_CFG.act = PCNN_ACT_RELU and y < to_signed(G_CFG.zp, 8) then
              y := to_signed(G_CFG.zp, 8);
            elsif G_CFG.act = PCNN_ACT_LEAKY then
              y := pcnn_activate(y, G_CFG.act);
            elsif G_CFG.act = PCNN_ACT_TABLE then
              y := signed(C_TBL(to_integer(unsigned((not y(7)) & y(6 downto 0)))));
            end if;
          end if;
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

      if en = '1' then
        -- MAC pipeline tags
        tg_valid(0)  <= a_valid;
        tg_first(0)  <= '0';
        tg_lastig(0) <= '0';
        if ig = 0 then
          tg_first(0) <= '1';
        end if;
        if ig = C_NIG - 1 then
          tg_lastig(0) <= '1';
        end if;
        tg_og(0)   <= og;
        tg_last(0) <= a_last;
        for s in 1 to C_NSTG loop
          tg_valid(s)  <= tg_valid(s - 1);
          tg_first(s)  <= tg_first(s - 1);
          tg_lastig(s) <= tg_lastig(s - 1);
          tg_og(s)     <= tg_og(s - 1);
          tg_last(s)   <= tg_last(s - 1);
        end loop;
        -- B: the accumulator is finished after the last input group
        b_valid <= tg_valid(C_NSTG) and tg_lastig(C_NSTG);
        b_og    <= tg_og(C_NSTG);
        b_last  <= tg_last(C_NSTG);
        b_final <= '0';
        if tg_og(C_NSTG) = C_NOG - 1 then
          b_final <= '1';
        end if;
      end if;

      -- stage A: step through the (output group, input group) pairs
      if a_step = '1' then
        if ig = C_NIG - 1 then
          ig <= 0;
          if og = C_NOG - 1 then
            og      <= 0;
            a_valid <= '0';
          else
            og <= og + 1;
          end if;
        else
          ig <= ig + 1;
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
        tg_valid  <= (others => '0');
        b_valid   <= '0';
        m_valid_r <= '0';
        m_last    <= '0';
        ig        <= 0;
        og        <= 0;
      end if;
    end if;
  end process;

end architecture rtl;

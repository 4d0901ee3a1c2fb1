-- pcnn_conv: multiply-accumulate of one K x K window, requantisation and activation.
-- Input: one window per beat (element ky*K+kx, channel fastest: byte (ky*K+kx)*Cin+ci).
-- Output: one pixel per beat (channel co in bits 8co+7 downto 8co), int8.
-- acc = bias + sum(x * w), y = act(sat8(RNE(acc * 2**-shift))) (docs/numerics.md; the sum
-- starts at bias + 2**(shift-1), so the rounding needs no adder),
-- or with any scale y = act(clamp(RNE(acc * m(co) * 2**-s(co))) + zp) (requant mult or
-- exact, pocket_cnn.emit.hw_view).
-- Folding: par_in input channels x par_out output channels x par_k kernel taps are
-- multiplied per clock. A window takes NS = ceil(ch_in/par_in) * ceil(K*K/par_k) steps
-- per output group and NOG = ceil(ch_out/par_out) output groups: NS * NOG clocks (1 at
-- full parallelism, fully pipelined). A folded PE copies the window into a hold register
-- (the window unit forms the next one meanwhile); each step picks its bytes with a
-- multiplexer indexed by the step counter.
-- Weights: one ROM word (par_out*par_in*par_k bytes) per (output group, step). One word
-- (full parallelism): constants, multiplied straight from s_data. Several words: read
-- at a registered address into a registered word as a memory (G_CFG.wrom_bram: the form
-- yosys maps to block RAM), or a multiplexer of constants in logic, registered with the
-- step's bytes.
-- Pipeline: [step register: input bytes, weight word [-> operand register: after a
-- block RAM a copy that ends the RAM's slow clock-to-out; with G_DSP = PCNN_DSP_LOGIC
-- and weights in logic two half products per product]] -> product registers (9 x 8 bit
-- signed products; constant-weight products also take the first adder level) -> adder
-- tree (a register every 2 levels; after ECP5 blocks the first after one) -> accumulator
-- (bias on the first step of an output group, else the partial sum) ->
-- requantise/activate into the output byte(s). A stall
-- of the output with a finished accumulator waiting freezes every stage at once (one
-- enable), so nothing is lost or duplicated.
-- G_DSP = PCNN_DSP_ECP5 (ECP5 targets): a product that ends at its own register is an
-- ECP5 block (pcnn_mul_ecp5) whose output register is the product register, fed from
-- fabric registers (the step or operand register) or the window through the block's
-- input registers (one clock more: the route into the block, 3.5-4 ns, is then a clock
-- of its own; pocket_cnn.ir.clock_model.conv_front_stages). A constant weight of 0 or
-- a power of two stays a shift (no block), as yosys makes it, a clock later too.
-- G_DSP = PCNN_DSP_LOGIC (iCE40: products in LUTs): folded with weights in logic, the
-- operand register holds x * w(3:0) and x * w(7:4) per product, the product register
-- their sum (an 8 x 8 product in one clock was the UP5K's slowest path): one clock more
-- than the other forms (pocket_cnn.ir.clock_model.conv_front_stages); at one step per
-- window the input bytes take a register before the constant products (one clock more
-- too, as the ECP5 blocks' input registers).
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
    G_TABLE   : pcnn_int_array_t := (0 => 0); -- 256 output bytes of act table, index y + 128
    G_DSP     : pcnn_dsp_t := PCNN_DSP_INFER   -- products: inferred, ECP5 blocks or logic
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
  constant C_PK    : positive := pcnn_min(G_CFG.par_k, C_KK);
  constant C_NIG   : positive := pcnn_ceil_div(C_CI, C_PI);
  constant C_NKG   : positive := pcnn_ceil_div(C_KK, C_PK);
  constant C_NS    : positive := C_NIG * C_NKG; -- steps per output group
  constant C_NOG   : positive := pcnn_ceil_div(C_CO, C_PO);
  constant C_NW    : positive := C_NOG * C_NS;  -- weight words = clocks per window
  -- folded: several clocks per window; every folded PE has a step register (after the
  -- step multiplexer, the block-RAM read or the output group's constant-multiplexer
  -- weight word), so the multipliers start at registers
  constant C_FOLD  : boolean  := C_NW > 1;
  -- the products of a folded conv with its weights in logic as two half products
  constant C_HALF  : boolean  := C_FOLD and G_DSP = PCNN_DSP_LOGIC and not G_CFG.wrom_bram;
  -- an operand register after the step register: after a block RAM, or the half products
  constant C_OPND  : boolean  := C_FOLD and (G_CFG.wrom_bram or C_HALF);
  constant C_ACC_W : positive := pcnn_max(G_CFG.acc_bits, 2);
  constant C_NPROD : positive := C_PI * C_PK;   -- products per output channel and step
  constant C_WW    : positive := C_PO * C_NPROD * 8; -- bits of a weight word

  -- a_end's value at (st, og) = (0, 0): '1' with one step per window
  constant C_END0 : std_logic := pcnn_sl(C_NW = 1);
  constant C_WTS  : pcnn_int_array_t(0 to G_WEIGHTS'length - 1) := G_WEIGHTS;
  constant C_BIAS : pcnn_int_array_t(0 to G_BIAS'length - 1)    := G_BIAS;
  -- shift mode with a right shift: the sums start at bias + 2**(shift-1) (acc_bits covers
  -- it, C_RH), so the requantiser has no rounding adder (pcnn_requant_act_h)
  constant C_RHALF : boolean := G_CFG.requant = PCNN_RQ_SHIFT and G_CFG.shift > 0
    and C_ACC_W >= G_CFG.shift + 8;
  constant C_RH    : natural := boolean'pos(C_RHALF) * 2 ** pcnn_max(G_CFG.shift - 1, 0);

  -- weight ROM: word og*NS + st, byte j*NPROD + i*PK + t = w(co, ci, kk) with
  -- co = og*PO + j, ci = ig*PI + i, kk = kg*PK + t, st = ig*NKG + kg (0 when padded)
  subtype wword_t is std_logic_vector(C_WW - 1 downto 0);
  type wrom_t is array (0 to C_NW - 1) of wword_t;

  function build_wrom return wrom_t is
    variable rom        : wrom_t := (others => (others => '0'));
    variable co, ci, kk : integer;
    variable b          : integer;
  begin
    for o in 0 to C_NOG - 1 loop
      for s in 0 to C_NS - 1 loop
        for j in 0 to C_PO - 1 loop
          for i in 0 to C_PI - 1 loop
            for t in 0 to C_PK - 1 loop
              co := o * C_PO + j;
              ci := (s / C_NKG) * C_PI + i;
              kk := (s mod C_NKG) * C_PK + t;
              if co < C_CO and ci < C_CI and kk < C_KK then
                b := j * C_NPROD + i * C_PK + t;
                rom(o * C_NS + s)(b * 8 + 7 downto b * 8) :=
                  std_logic_vector(to_signed(C_WTS((co * C_CI + ci) * C_KK + kk), 8));
              end if;
            end loop;
          end loop;
        end loop;
      end loop;
    end loop;
    return rom;
  end function;

  constant C_WROM : wrom_t := build_wrom;

  -- byte b of the weight words is one constant, 0 or +-2**n, in every word: the product
  -- is a shift or 0, no multiplier (a DSP block would be wasted on it)
  function w_trivial(b : natural) return boolean is
    constant C_V : integer := to_integer(signed(C_WROM(0)(b * 8 + 7 downto b * 8)));
  begin
    for k in 1 to C_NW - 1 loop
      if to_integer(signed(C_WROM(k)(b * 8 + 7 downto b * 8))) /= C_V then
        return false;
      end if;
    end loop;
    for n in 0 to 7 loop
      if C_V = 2 ** n or C_V = -(2 ** n) then
        return true;
      end if;
    end loop;
    return C_V = 0;
  end function;

  -- input byte of product slot p = i*PK + t at step s (-1: a padded slot, reads 0)
  type xsel_t is array (0 to C_NS - 1, 0 to C_NPROD - 1) of integer;

  function build_xsel return xsel_t is
    variable r      : xsel_t;
    variable ci, kk : integer;
  begin
    for s in 0 to C_NS - 1 loop
      for i in 0 to C_PI - 1 loop
        for t in 0 to C_PK - 1 loop
          ci := (s / C_NKG) * C_PI + i;
          kk := (s mod C_NKG) * C_PK + t;
          r(s, i * C_PK + t) := -1;
          if ci < C_CI and kk < C_KK then
            r(s, i * C_PK + t) := kk * C_CI + ci;
          end if;
        end loop;
      end loop;
    end loop;
    return r;
  end function;

  constant C_XSEL : xsel_t := build_xsel;

  -- bias ROM: one word per output group, C_ACC_W bits per channel j (wrapped to
  -- C_ACC_W bits, the accumulator's arithmetic)
  subtype bword_t is signed(C_PO * C_ACC_W - 1 downto 0);
  type brom_t is array (0 to C_NOG - 1) of bword_t;

  function build_brom return brom_t is
    variable rom : brom_t := (others => (others => '0'));
    variable co  : integer;
  begin
    for o in 0 to C_NOG - 1 loop
      for j in 0 to C_PO - 1 loop
        co := o * C_PO + j;
        if co < C_CO then
          rom(o)((j + 1) * C_ACC_W - 1 downto j * C_ACC_W) :=
            to_signed(C_BIAS(co) + C_RH, C_ACC_W);
        end if;
      end loop;
    end loop;
    return rom;
  end function;

  constant C_BROM : brom_t := build_brom;
  -- more than 8 output groups: the bias word is selected one stage ahead, registered
  constant C_BREG : boolean := C_NOG > 8;

  -- word og*NS + st of the weight ROM as a multiplexer of constants (logic, never a
  -- memory; selected by the two counters, no address counter)
  function wrom_logic(o : natural; s : natural) return wword_t is
    variable r : wword_t := (others => '0');
  begin
    for ko in 0 to C_NOG - 1 loop
      for ks in 0 to C_NS - 1 loop
        if o = ko and s = ks then
          r := C_WROM(ko * C_NS + ks);
        end if;
      end loop;
    end loop;
    return r;
  end function;

  function brom_logic(a : natural) return bword_t is
    variable r : bword_t := C_BROM(0);
  begin
    for k in 1 to C_NOG - 1 loop
      if a = k then
        r := C_BROM(k);
      end if;
    end loop;
    return r;
  end function;

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
  -- adder-tree levels done with the products (with constant weights, 1 where the tree
  -- has an odd number of levels: it saves a register stage; with an even number the
  -- stages are as many without, and the products end at their register: yosys puts
  -- constant products into DSPs too), levels per later register stage, and the number
  -- of tree register stages after the product register
  function first_levels return natural is
  begin
    if not C_FOLD then
      return C_LEVELS mod 2;
    end if;
    return 0;
  end function;
  constant C_L0   : natural  := first_levels;
  constant C_LPS  : positive := 2;
  -- levels of the first tree stage: one after ECP5 blocks (their outputs reach the
  -- fabric late: one adder, then a register), else C_LPS
  function first_stage_levels return positive is
  begin
    if G_DSP = PCNN_DSP_ECP5 and C_L0 = 0 then
      return 1;
    end if;
    return C_LPS;
  end function;
  constant C_L1   : positive := first_stage_levels;
  -- products in ECP5 blocks through their input registers too (the route into a block is
  -- a clock of its own): one clock more in front of the product register; the same input
  -- register in the logic form at one step per window (a constant product in LUTs is a
  -- clock of its own: the window, through pcnn_pe's skid slice, ends at the register)
  constant C_DSPIN : boolean := C_L0 = 0 and
    (G_DSP = PCNN_DSP_ECP5 or (G_DSP = PCNN_DSP_LOGIC and not C_FOLD));
  function tree_stages return natural is
  begin
    if C_LEVELS <= C_L0 then
      return 0;
    end if;
    return 1 + (pcnn_max(C_LEVELS - C_L0 - C_L1, 0) + C_LPS - 1) / C_LPS;
  end function;
  constant C_NSTG  : natural  := tree_stages;
  -- bits of a tree node: |product| <= 255 * 128 < 2**15, sums of up to 2**LEVELS
  constant C_NODE_W : positive := pcnn_min(16 + C_LEVELS, 31);

  subtype x_int_t is integer range -128 to 255;
  subtype node_int_t is integer range -2 ** (C_NODE_W - 1) to 2 ** (C_NODE_W - 1) - 1;
  -- one product x * w, |x * w| <= 255 * 128 < 2**15: 16 bits. GHDL writes the product of
  -- sign-extended operands; only 16 result bits let yosys narrow it to one 16 x 16 DSP
  -- (SB_MAC16; MULT18X18D on ECP5), 17 would take two SB_MAC16
  subtype prod_int_t is integer range -2 ** 15 to 2 ** 15 - 1;
  type byte_arr_t is array (natural range <>) of std_logic_vector(7 downto 0);

  -- the value of an input byte (converted unsigned, then sign-corrected: faster than a
  -- signed conversion)
  function x_value(xb : std_logic_vector(7 downto 0)) return x_int_t is
    variable xv : x_int_t;
  begin
    xv := to_integer(unsigned(xb));
    if G_CFG.in_signed and xb(7) = '1' then
      xv := xv - 256;
    end if;
    return xv;
  end function;

  -- product p of output channel j of a step: input byte xb times weight byte j * NPROD + p
  -- of the word ww
  function step_product(
    xb : std_logic_vector(7 downto 0);
    ww : wword_t;
    j  : natural;
    p  : natural
  ) return prod_int_t is
    variable wv : integer range -128 to 127;
  begin
    wv := to_integer(signed(ww((j * C_NPROD + p) * 8 + 7 downto (j * C_NPROD + p) * 8)));
    return x_value(xb) * wv;
  end function;
  -- tree nodes of one output channel, of all output channels, of every stage
  type node_arr_t is array (0 to C_TREE_N - 1) of node_int_t;
  type node_po_t is array (0 to C_PO - 1) of node_arr_t;
  -- tree stage registers after stage 0 (stage 0, the products with the first C_L0
  -- levels, is d0, used only where C_L0 > 0: else the products sit in prq; an undriven
  -- part of one signal would be a wide constant of Z in GHDL's netlist, 98,304 bits for
  -- a 200-product conv at 16 outputs, beyond what Verilator reads in one literal)
  type node_pipe_t is array (1 to C_NSTG) of node_po_t;

  -- input counters: step of the output group, output group, weight word (og*NS + st,
  -- block RAM only)
  signal st   : natural range 0 to C_NS - 1;
  signal og   : natural range 0 to C_NOG - 1;
  signal addr : natural range 0 to C_NW - 1;
  -- step register (folded only): input bytes of the step, weight word, tags
  signal xm                                     : byte_arr_t(0 to C_NPROD - 1);
  signal wq                                     : wword_t;
  signal x0_valid, x0_first, x0_lastst, x0_last : std_logic;
  signal x0_og                                  : natural range 0 to C_NOG - 1;
  -- what the products read: the step register, or the operand register after it (after
  -- a block RAM it ends the RAM's slow clock-to-out: 5.6 ns on ECP5)
  signal xs                                     : byte_arr_t(0 to C_NPROD - 1);
  signal ws                                     : wword_t;
  signal xs_valid, xs_first, xs_lastst, xs_last : std_logic;
  signal xs_og                                  : natural range 0 to C_NOG - 1;
  -- what xm / wq take at the next enable (folded)
  signal xm_d                                   : byte_arr_t(0 to C_NPROD - 1);
  signal wq_d                                   : wword_t;
  -- MAC pipeline tags: index 0 = product register, s = after tree stage s
  type sl_pipe_t is array (0 to C_NSTG) of std_logic;
  type og_pipe_t is array (0 to C_NSTG) of natural range 0 to C_NOG - 1;
  signal tg_valid, tg_first, tg_lastst, tg_last : sl_pipe_t;
  -- the tags at the ECP5 blocks' input registers (C_DSPIN)
  signal tp_valid, tp_first, tp_lastst, tp_last : std_logic;
  signal tp_og                                  : natural range 0 to C_NOG - 1;
  signal tg_og                                  : og_pipe_t;
  signal d0                                     : node_po_t;
  signal d                                      : node_pipe_t;
  -- product registers when no adder level sits with them (C_L0 = 0): one signal element
  -- per product, each written by its own process (element j * NPROD + p), so that every
  -- multiplier ends at a register of its own (yosys 0.23's ice40_dsp folds a register
  -- shared by several multipliers wrongly into their SB_MAC16s)
  type prod_flat_t is array (0 to C_PO * C_NPROD - 1) of prod_int_t;
  signal prq                                    : prod_flat_t;
  -- what the products of a step read, formed once for all of them: the input bytes and
  -- the weight word (the step register; else the window on i_data and the constant word)
  signal x_step                                 : byte_arr_t(0 to C_NPROD - 1);
  signal w_step                                 : wword_t;
  -- accumulators (partial sums while folding; finished when b_valid)
  signal b_valid, b_last, b_final : std_logic;
  signal b_og                     : natural range 0 to C_NOG - 1;
  signal b_acc                    : acc_arr_t;
  signal b_sel                    : bword_t; -- registered bias word (C_BREG)
  signal m_valid_r                : std_logic;

  -- en: the whole MAC pipeline (input -> step -> products -> tree stages -> B) advances
  signal out_free, b_move, en, a_step, a_pen : std_logic;
  signal a_end                               : std_logic := C_END0;
  -- the window the steps read: the hold register of a folded PE, else s_data
  signal i_valid, i_last : std_logic;
  signal i_data          : std_logic_vector(s_data'range);

begin

  assert G_WEIGHTS'length = C_CO * C_CI * C_KK
    report "pcnn_conv: G_WEIGHTS must hold ch_out*ch_in*kernel*kernel values" severity failure;
  assert G_BIAS'length = C_CO
    report "pcnn_conv: G_BIAS must hold ch_out values" severity failure;
  assert G_CFG.requant = PCNN_RQ_SHIFT or (G_MULT'length = C_CO and G_MSHIFT'length = C_CO)
    report "pcnn_conv: G_MULT and G_MSHIFT must hold ch_out values" severity failure;
  assert G_CFG.act /= PCNN_ACT_TABLE or G_TABLE'length = 256
    report "pcnn_conv: G_TABLE must hold 256 values" severity failure;

  -- handshake (combinational, from registers and m_ready): a stall of the output with a
  -- finished accumulator waiting in B freezes every MAC stage at once; the window is
  -- taken on its last step
  out_free <= (not m_valid_r) or m_ready;
  b_move   <= b_valid and out_free;
  en       <= (not b_valid) or out_free;
  a_step   <= i_valid and en;
  -- a_end (the window's last step: st = NS - 1 and og = NOG - 1) is a register, set by
  -- the step before it (a_pen), so the ready the window sees skips the counter compares
  a_pen    <= '1' when C_NW = 1 or (C_NS > 1 and st = C_NS - 2 and og = C_NOG - 1) or
                       (C_NS = 1 and og = C_NOG - 2) else '0';
  m_valid  <= m_valid_r;

  -- input window: a folded PE (several clocks per window) copies it into a hold register,
  -- so the stage before it is free to form the next window while the steps run (the
  -- slowest stage, not the sum of the stages, sets the rate); at one clock per window the
  -- window is used straight from s_data
  g_hold : if C_FOLD generate
    signal h_valid : std_logic;
    signal h_data  : std_logic_vector(s_data'range);
    signal h_last  : std_logic;
  begin
    s_ready <= (not h_valid) or (en and a_end);
    i_valid <= h_valid;
    i_data  <= h_data;
    i_last  <= h_last;

    p_hold : process (clk)
    begin
      if rising_edge(clk) then
        if h_valid = '1' and en = '1' and a_end = '1' then
          h_valid <= '0';
        end if;
        if s_valid = '1' and (h_valid = '0' or (en = '1' and a_end = '1')) then
          h_data  <= s_data;
          h_last  <= s_last;
          h_valid <= '1';
        end if;
        if rst = '1' then
          h_valid <= '0';
        end if;
      end if;
    end process;
  end generate g_hold;

  g_direct : if not C_FOLD generate
    s_ready <= en and a_end;
    i_valid <= s_valid;
    i_data  <= s_data;
    i_last  <= s_last;
  end generate g_direct;

  -- step register of a folded PE: the bytes of the step (a multiplexer over the steps
  -- indexed by the step counter) and the weight word read at the registered address
  g_step : if C_FOLD generate

    p_stepmux : process (all)
      variable cand : byte_arr_t(0 to C_NS - 1);
      variable b    : integer;
    begin
      for p in 0 to C_NPROD - 1 loop
        for s in 0 to C_NS - 1 loop
          b       := C_XSEL(s, p);
          cand(s) := (others => '0');
          if b >= 0 then
            cand(s) := i_data(b * 8 + 7 downto b * 8);
          end if;
        end loop;
        xm_d(p) <= cand(st);
      end loop;
    end process;

    p_step : process (clk)
    begin
      if rising_edge(clk) then
        if en = '1' and i_valid = '1' then
          xm <= xm_d;
        end if;
      end if;
    end process;

    -- block RAM: a synchronous read at a plain registered address, enable only, no
    -- reset and no initial value on the read register (yosys: DP16KD / SB_RAM40_4K)
    g_bram : if G_CFG.wrom_bram generate
      p_wrom : process (clk)
      begin
        if rising_edge(clk) then
          if en = '1' then
            wq <= C_WROM(addr);
          end if;
        end if;
      end process;
    end generate g_bram;

    g_logic : if not G_CFG.wrom_bram generate
      wq_d <= wrom_logic(og, st);

      p_wrom : process (clk)
      begin
        if rising_edge(clk) then
          if en = '1' then
            wq <= wq_d;
          end if;
        end if;
      end process;
    end generate g_logic;

    -- operand register: a copy of the step register (bytes the half products read from
    -- the step register are left to synthesis to drop)
    g_opnd : if C_OPND generate
      p_opnd : process (clk)
      begin
        if rising_edge(clk) then
          if en = '1' then
            xs        <= xm;
            ws        <= wq;
            xs_valid  <= x0_valid;
            xs_first  <= x0_first;
            xs_lastst <= x0_lastst;
            xs_og     <= x0_og;
            xs_last   <= x0_last;
          end if;
          if rst = '1' then
            xs_valid <= '0';
          end if;
        end if;
      end process;
    end generate g_opnd;

    g_noopnd : if not C_OPND generate
      xs        <= xm;
      ws        <= wq;
      xs_valid  <= x0_valid;
      xs_first  <= x0_first;
      xs_lastst <= x0_lastst;
      xs_og     <= x0_og;
      xs_last   <= x0_last;
    end generate g_noopnd;

  end generate g_step;

  -- MAC datapath, pipelined:
  --   products register: p = x(slot) * w(j, slot) (plus the first C_L0 adder levels),
  --   then C_NSTG tree register stages of C_LPS balanced adder levels each (the first
  --   C_L1);
  --   accumulator B: acc(j) = start + tree sum, start = bias (first step of an output
  --   group) or the partial sum held in B (later steps).
  -- Products and tree in integers (fast in simulation, at most 31 bits), the accumulator
  -- C_ACC_W bits wide. Exact as long as acc_bits never overflows (it cannot, pcnn ir
  -- acc_bits bound).
  p_mac : process (clk)
    variable t  : node_arr_t;
    variable bw : bword_t;
    variable sa : signed(C_ACC_W - 1 downto 0);
  begin
    if rising_edge(clk) then
      if en = '1' then
        -- products of the step (step register; else the window on s_data, one step per
        -- output group, and the constant or output-group weight word)
        if C_L0 > 0 and ((C_FOLD and xs_valid = '1') or ((not C_FOLD) and i_valid = '1')) then
          for j in 0 to C_PO - 1 loop
            t := (others => 0);
            for p in 0 to C_NPROD - 1 loop
              t(p) := step_product(x_step(p), w_step, j, p);
            end loop;
            for lvl in 0 to C_L0 - 1 loop
              for i in 0 to C_TREE_N / 2 - 1 loop
                if i < C_TREE_N / 2 ** (lvl + 1) then
                  t(i) := t(2 * i) + t(2 * i + 1);
                end if;
              end loop;
            end loop;
            d0(j) <= t;
          end loop;
        end if;
        -- adder tree stages, C_LPS levels each (the first C_L1), in place
        for s in 1 to C_NSTG loop
          if tg_valid(s - 1) = '1' then
            for j in 0 to C_PO - 1 loop
              if s > 1 then
                t := d(s - 1)(j);
              elsif C_L0 > 0 then
                t := d0(j);
              else
                t := (others => 0);
                for p in 0 to C_NPROD - 1 loop
                  t(p) := prq(j * C_NPROD + p);
                end loop;
              end if;
              for lvl in C_L0 + pcnn_min(s - 1, 1) * C_L1 + pcnn_max(s - 2, 0) * C_LPS to
                         pcnn_min(C_L0 + C_L1 + (s - 1) * C_LPS, C_LEVELS) - 1 loop
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
        -- bias word of the entry moving into the last tag stage, registered when more
        -- than 8 output groups (its multiplexer would sit in front of the accumulator)
        if C_BREG then
          if C_NSTG > 0 then
            b_sel <= brom_logic(tg_og(pcnn_max(C_NSTG - 1, 0)));
          elsif C_FOLD then
            b_sel <= brom_logic(xs_og);
          else
            b_sel <= brom_logic(og);
          end if;
        end if;
        -- accumulate: start (bias or partial sum) + tree sum
        if tg_valid(C_NSTG) = '1' then
          bw := C_BROM(0);
          if C_BREG then
            bw := b_sel;
          elsif C_NOG > 1 then
            bw := brom_logic(tg_og(C_NSTG));
          end if;
          for j in 0 to C_PO - 1 loop
            if tg_first(C_NSTG) = '1' then
              sa := bw((j + 1) * C_ACC_W - 1 downto j * C_ACC_W);
            else
              sa := b_acc(j);
            end if;
            if C_NSTG > 0 then
              b_acc(j) <= sa + to_signed(d(C_NSTG)(j)(0), C_ACC_W);
            elsif C_L0 > 0 then
              b_acc(j) <= sa + to_signed(d0(j)(0), C_ACC_W);
            else
              b_acc(j) <= sa + to_signed(prq(j * C_NPROD), C_ACC_W);
            end if;
          end loop;
        end if;
      end if;
    end if;
  end process;

  -- the step's input bytes and weight word (combinational: one selection for every product)
  p_stepsel : process (all)
  begin
    if C_FOLD then
      w_step <= ws;
      x_step <= xs;
    else
      w_step <= C_WROM(0);  -- one clock per window: one weight word, constant
      for p in 0 to C_NPROD - 1 loop
        x_step(p) <= (others => '0');
        if C_XSEL(0, p) >= 0 then
          x_step(p) <= i_data(C_XSEL(0, p) * 8 + 7 downto C_XSEL(0, p) * 8);
        end if;
      end loop;
    end if;
  end process;

  g_prod : if C_L0 = 0 generate
    g_po : for j in 0 to C_PO - 1 generate
      g_pp : for p in 0 to C_NPROD - 1 generate

        g_infer : if (G_DSP /= PCNN_DSP_ECP5 and not C_HALF) or w_trivial(j * C_NPROD + p)
        generate
          -- the input byte a clock later (C_DSPIN: as the ECP5 blocks' input registers)
          signal xd : std_logic_vector(7 downto 0) := (others => '0');
        begin
          -- product p of output channel j of the step, into its own register; with
          -- C_DSPIN from the byte a clock later (its weight is the same in every word)
          p_prod : process (clk)
          begin
            if rising_edge(clk) then
              if C_DSPIN then
                if en = '1' then
                  xd                   <= x_step(p);
                  prq(j * C_NPROD + p) <= step_product(xd, C_WROM(0), j, p);
                end if;
              elsif en = '1' and ((C_FOLD and xs_valid = '1') or ((not C_FOLD) and i_valid = '1')) then
                prq(j * C_NPROD + p) <= step_product(x_step(p), w_step, j, p);
              end if;
            end if;
          end process;
        end generate g_infer;

        -- the same product as two half products (operand register stage) and their sum
        g_half : if C_HALF and not w_trivial(j * C_NPROD + p) generate
          constant C_B : natural := j * C_NPROD + p;
          -- x * w(3:0) (w's low nibble unsigned) and x * w(7:4) (high nibble signed)
          signal hl : integer range -128 * 15 to 255 * 15;
          signal hh : integer range -255 * 8 to 255 * 7;
        begin

          p_half : process (clk)
          begin
            if rising_edge(clk) then
              if en = '1' then
                hl <= x_value(xm(p)) * to_integer(unsigned(wq(C_B * 8 + 3 downto C_B * 8)));
                hh <= x_value(xm(p)) * to_integer(signed(wq(C_B * 8 + 7 downto C_B * 8 + 4)));
              end if;
            end if;
          end process;

          p_prod : process (clk)
          begin
            if rising_edge(clk) then
              if en = '1' and xs_valid = '1' then
                prq(C_B) <= hh * 16 + hl;
              end if;
            end if;
          end process;

        end generate g_half;

        -- the same product in an ECP5 block: the step register (folded; the operand
        -- register after a block RAM, whose slow clock-to-out ends at it), or the window
        -- and the constant weight, enter its input registers (C_DSPIN; a step
        -- multiplexer straight into them would share a clock with the 3.5-4.0 ns route
        -- into the block). Its registers move with en: an entry the tags mark invalid is
        -- never read.
        g_ecp5 : if G_DSP = PCNN_DSP_ECP5 and not w_trivial(j * C_NPROD + p) generate
          constant C_B : natural := j * C_NPROD + p;
          signal   xb  : std_logic_vector(7 downto 0);
          signal   x9  : std_logic_vector(8 downto 0);
          signal   pq  : std_logic_vector(15 downto 0);
        begin
          xb <= x_step(p);
          -- the input byte as a 9-bit signed value (int8 sign-extended, uint8 zero-extended)
          x9 <= (xb(7) and pcnn_sl(G_CFG.in_signed)) & xb;

          u_mul : entity pocket_cnn.pcnn_mul_ecp5
            generic map (
              G_INREG => C_DSPIN
            )
            port map (
              clk => clk,
              ce  => en,
              x   => x9,
              w   => w_step(C_B * 8 + 7 downto C_B * 8),
              p   => pq
            );

          prq(C_B) <= to_integer(signed(pq));
        end generate g_ecp5;

      end generate g_pp;
    end generate g_po;
  end generate g_prod;

  p_seq : process (clk)
    variable y  : signed(7 downto 0);
    variable k  : integer;
    variable co : integer;
    -- the tags of the entry the products (or the blocks' input registers) take
    variable v_valid, v_first, v_lastst, v_last : std_logic;
    variable v_og                               : natural range 0 to C_NOG - 1;
  begin
    if rising_edge(clk) then
      if m_ready = '1' then
        m_valid_r <= '0';
      end if;

      -- requantise, activate, write the output group's bytes; the pixel is out on the
      -- last group (the output register is free: out_free)
      if b_move = '1' then
        for j in 0 to C_PO - 1 loop
          if C_RHALF then
            y := pcnn_requant_act_h(b_acc(j), pcnn_max(G_CFG.shift, 1), G_CFG.act);
          elsif G_CFG.requant = PCNN_RQ_SHIFT then
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
              m_data(co * 8 + 7 downto co * 8) <= std_logic_vector(y);
            end if;
          end loop;
        end loop;
        if b_final = '1' then
          m_last    <= b_last;
          m_valid_r <= '1';
        end if;
        b_valid <= '0';
      end if;

      if en = '1' then
        -- MAC pipeline tags (through the step register if there is one)
        x0_valid  <= i_valid;
        x0_first  <= '0';
        x0_lastst <= '0';
        if st = 0 then
          x0_first <= '1';
        end if;
        if st = C_NS - 1 then
          x0_lastst <= '1';
        end if;
        x0_og   <= og;
        x0_last <= i_last;
        if C_FOLD then
          v_valid  := xs_valid;
          v_first  := xs_first;
          v_lastst := xs_lastst;
          v_og     := xs_og;
          v_last   := xs_last;
        else -- one step per output group
          v_valid  := i_valid;
          v_first  := '1';
          v_lastst := '1';
          v_og     := og;
          v_last   := i_last;
        end if;
        tp_valid  <= v_valid;
        tp_first  <= v_first;
        tp_lastst <= v_lastst;
        tp_og     <= v_og;
        tp_last   <= v_last;
        if C_DSPIN then
          tg_valid(0)  <= tp_valid;
          tg_first(0)  <= tp_first;
          tg_lastst(0) <= tp_lastst;
          tg_og(0)     <= tp_og;
          tg_last(0)   <= tp_last;
        else
          tg_valid(0)  <= v_valid;
          tg_first(0)  <= v_first;
          tg_lastst(0) <= v_lastst;
          tg_og(0)     <= v_og;
          tg_last(0)   <= v_last;
        end if;
        for s in 1 to C_NSTG loop
          tg_valid(s)  <= tg_valid(s - 1);
          tg_first(s)  <= tg_first(s - 1);
          tg_lastst(s) <= tg_lastst(s - 1);
          tg_og(s)     <= tg_og(s - 1);
          tg_last(s)   <= tg_last(s - 1);
        end loop;
        -- B: the accumulator is finished after the last step of its output group
        b_valid <= tg_valid(C_NSTG) and tg_lastst(C_NSTG);
        b_og    <= tg_og(C_NSTG);
        b_last  <= tg_last(C_NSTG);
        b_final <= '0';
        if tg_og(C_NSTG) = C_NOG - 1 then
          b_final <= '1';
        end if;
      end if;

      -- input: step through the (output group, step) pairs of the window
      if a_step = '1' then
        a_end <= a_pen;
        if C_FOLD and G_CFG.wrom_bram then
          if addr = C_NW - 1 then
            addr <= 0;
          else
            addr <= addr + 1;
          end if;
        end if;
        if st = C_NS - 1 then
          st <= 0;
          if og = C_NOG - 1 then
            og <= 0;
          else
            og <= og + 1;
          end if;
        else
          st <= st + 1;
        end if;
      end if;

      if rst = '1' then
        x0_valid  <= '0';
        tp_valid  <= '0';
        tg_valid  <= (others => '0');
        b_valid   <= '0';
        m_valid_r <= '0';
        m_last    <= '0';
        st        <= 0;
        og        <= 0;
        addr      <= 0;
        a_end     <= C_END0;
      end if;
    end if;
  end process;

end architecture rtl;

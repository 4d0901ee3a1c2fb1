-- pcnn_pe_mem: the memory-window form of a deeply folded PE's conv (replaces pcnn_window ->
-- pcnn_conv; same input and output streams). The window never exists as registers:
--   writer: each input pixel (ch_in bytes) is cut into NIG = ceil(ch_in/par_in) words of
--     par_in bytes, written straight from s_data one word per clock (the beat is taken
--     with its last word) into a ring of R rows in ONE dual-port memory (address = row
--     slot & column & input group, each field a power of two wide; R = pow2(K + stride);
--     registered read: the form yosys maps to block RAM).
--   reader: per output pixel, loops over (output group og, tap ky, kx, input group ig)
--     and reads one word per clock; taps outside the image give the pad byte
--     (G_CFG.pad_value) by masking. par_in x par_out products per clock, one accumulator
--     per output channel of the group, requantisation/activation as pcnn_conv.
--   G_CFG.mul_logic: the products as shift-and-add logic (no DSP; for small PEs when the
--     device's DSPs go to the big ones), each as four quarter products (two weight bits
--     each, one adder) that the lane's adder tree sums.
--   G_DSP = PCNN_DSP_ECP5 (ECP5 targets, products not in logic): each product is an ECP5
--     block (pcnn_mul_ecp5) whose output register is the product register (same
--     latency), one adder level in the first tree stage behind it.
--   G_DSP = PCNN_DSP_LOGIC (iCE40 targets, products not in logic): two products per
--     iCE40 SB_MAC16 in its 8 x 8 mode (pcnn_mul_ice40), its product registers the
--     product registers (same latency).
--   G_CFG.rq_digit > 0 (mult/exact requantisation): one serial requantiser instead of
--     one per lane: a finished output group is copied to a holding bank, and each lane
--     in turn is multiplied by its mantissa rq_digit bits per clock (shift-and-add, most
--     significant digit first), rounded and shifted, clamped/activated (a register), then
--     shifted into the output pixel register; PO * ceil(m_bits / rq_digit) + 3 clocks per
--     group (pocket_cnn.ir.rq_serial picks rq_digit so that this hides behind the reader).
--     A shift-only PE takes this path (one clock per lane) to pool: with a max-pool
--     whose windows do not overlap (pcnn_mem_pool), the bytes meet the running maxima
--     of their pooled column in a line memory (one byte per pooled column and channel,
--     read a clock ahead, written back), and only a window's last pixel goes out.
--   Cycles per output pixel: NOG * K * K * NIG (NOG = ceil(ch_out/par_out)); the reader
--     starts an output row when every input row it needs is written (the last output row
--     of an image waits for the whole image), the writer waits while the ring is full.
-- Weights: ROM of par_in*par_out-byte words (og, ky, kx, ig), read at a registered
-- address (block RAM when G_CFG.wrom_bram: read at the counter, then one more register,
-- so the block RAM's slow output ends at a register). Pipeline: counters -> memory read
-- / ROM address (or block RAM data) registers -> masked word / ROM word registers ->
-- product registers -> each lane's balanced adder tree over its terms, a register after
-- every two levels (every level with products in logic; none with one term) ->
-- accumulators -> output pixel register. The control's flags are registers: the
-- writer's room flag (computed a clock ahead), the reader's go (the sign of its count of
-- missing rows), its pixel-end flag and the serial requantiser's idle flag; a stall of
-- the output with a finished accumulator waiting freezes the reader pipeline (one
-- enable), the writer keeps filling the ring.
library ieee;
use ieee.std_logic_1164.all;
use ieee.numeric_std.all;

library pocket_cnn;
use pocket_cnn.pcnn_pkg.all;

entity pcnn_pe_mem is
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
    -- input: one pixel (ch_in bytes) per beat, raster order, images back to back
    s_valid : in  std_logic;
    s_ready : out std_logic;
    s_data  : in  std_logic_vector(G_CFG.ch_in * 8 - 1 downto 0);
    -- output: one int8 pixel per beat (channel co in bits 8co+7 downto 8co)
    m_valid : out std_logic;
    m_ready : in  std_logic;
    m_data  : out std_logic_vector(G_CFG.ch_out * 8 - 1 downto 0);
    m_last  : out std_logic
  );
end entity pcnn_pe_mem;

architecture rtl of pcnn_pe_mem is

  constant C_CI    : positive := G_CFG.ch_in;
  constant C_CO    : positive := G_CFG.ch_out;
  constant C_K     : positive := G_CFG.kernel;
  constant C_KK    : positive := C_K * C_K;
  constant C_S     : positive := G_CFG.stride;
  constant C_P     : natural  := G_CFG.pad;
  constant C_H     : positive := G_CFG.height;
  constant C_W     : positive := G_CFG.width;
  constant C_HO    : positive := pcnn_conv_height(G_CFG);
  constant C_WO    : positive := pcnn_conv_width(G_CFG);
  constant C_PI    : positive := pcnn_min(G_CFG.par_in, C_CI);
  constant C_PO    : positive := pcnn_min(G_CFG.par_out, C_CO);
  constant C_NIG   : positive := pcnn_ceil_div(C_CI, C_PI);
  constant C_NOG   : positive := pcnn_ceil_div(C_CO, C_PO);
  constant C_NW    : positive := C_NOG * C_KK * C_NIG; -- weight words = clocks per pixel
  constant C_ACC_W : positive := pcnn_max(G_CFG.acc_bits, 2);
  -- ring of R rows; address fields: slot (RB bits), column (XB), input group (GB)
  constant C_R     : positive := pcnn_pow2_ceil(C_K + C_S);
  constant C_RB    : natural  := pcnn_log2_ceil(C_R);
  constant C_XB    : natural  := pcnn_log2_ceil(C_W);
  constant C_GB    : natural  := pcnn_log2_ceil(C_NIG);
  constant C_AB    : positive := pcnn_max(1, C_RB + C_XB + C_GB);
  constant C_DEPTH : positive := 2 ** C_AB;
  -- global row counters modulo 2**C_CB (differences stay below H + R + K)
  constant C_CB    : positive := pcnn_clog2(2 * (C_H + C_R + C_K + C_S)) + 1;
  constant C_MW    : positive := C_PI * 8;          -- bits of a ring word
  constant C_WW    : positive := C_PO * C_PI * 8;   -- bits of a weight word

  constant C_WTS  : pcnn_int_array_t(0 to G_WEIGHTS'length - 1) := G_WEIGHTS;
  constant C_BIAS : pcnn_int_array_t(0 to G_BIAS'length - 1)    := G_BIAS;

  subtype mword_t is std_logic_vector(C_MW - 1 downto 0);
  type ring_t is array (0 to C_DEPTH - 1) of mword_t;

  subtype wword_t is std_logic_vector(C_WW - 1 downto 0);
  type wrom_t is array (C_NW - 1 downto 0) of wword_t;

  -- weight word ((og*K + ky)*K + kx)*NIG + ig, byte j*PI + i = w(og*PO + j, ig*PI + i,
  -- ky, kx) (0 where padded)
  function build_wrom return wrom_t is
    variable rom    : wrom_t := (others => (others => '0'));
    variable co, ci : integer;
    variable a, b   : integer;
  begin
    for o in 0 to C_NOG - 1 loop
      for kk in 0 to C_KK - 1 loop
        for g in 0 to C_NIG - 1 loop
          a := (o * C_KK + kk) * C_NIG + g;
          for j in 0 to C_PO - 1 loop
            for i in 0 to C_PI - 1 loop
              co := o * C_PO + j;
              ci := g * C_PI + i;
              if co < C_CO and ci < C_CI then
                b := j * C_PI + i;
                rom(a)(b * 8 + 7 downto b * 8) :=
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

  -- bias per output group, C_ACC_W bits per channel j
  subtype bword_t is signed(C_PO * C_ACC_W - 1 downto 0);
  type brom_t is array (C_NOG - 1 downto 0) of bword_t;

  function build_brom return brom_t is
    variable rom : brom_t := (others => (others => '0'));
    variable co  : integer;
  begin
    for o in 0 to C_NOG - 1 loop
      for j in 0 to C_PO - 1 loop
        co := o * C_PO + j;
        if co < C_CO then
          rom(o)((j + 1) * C_ACC_W - 1 downto j * C_ACC_W) := to_signed(C_BIAS(co), C_ACC_W);
        end if;
      end loop;
    end loop;
    return rom;
  end function;

  constant C_BROM : brom_t := build_brom;

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

  -- activation of a requantised byte (mult/exact)
  function act_out(y : signed(7 downto 0)) return signed is
  begin
    if G_CFG.act = PCNN_ACT_RELU and y < to_signed(G_CFG.zp, 8) then
      return to_signed(G_CFG.zp, 8);
    elsif G_CFG.act = PCNN_ACT_LEAKY then
      return pcnn_activate(y, G_CFG.act);
    elsif G_CFG.act = PCNN_ACT_TABLE then
      return signed(C_TBL(to_integer(unsigned((not y(7)) & y(6 downto 0)))));
    end if;
    return y;
  end function;

  -- the pad byte as a ring word (every byte the input zero point)
  function pad_word return mword_t is
    variable r : mword_t;
  begin
    for i in 0 to C_PI - 1 loop
      r(i * 8 + 7 downto i * 8) := std_logic_vector(to_unsigned(G_CFG.pad_value mod 256, 8));
    end loop;
    return r;
  end function;

  constant C_PAD_WORD : mword_t := pad_word;

  -- serial requantiser: digit bits, mantissa bits, clocks per lane, clocks per group
  function max_bits(a : pcnn_int_array_t) return positive is
    variable b : positive := 1;
  begin
    for i in a'range loop
      while b < 30 and a(i) >= 2 ** b loop
        b := b + 1;
      end loop;
    end loop;
    return b;
  end function;

  function lane_clocks return positive is
  begin
    if G_CFG.requant = PCNN_RQ_SHIFT then
      return 1;
    end if;
    return pcnn_ceil_div(max_bits(C_MULT), pcnn_max(G_CFG.rq_digit, 1));
  end function;

  constant C_SER : boolean  := G_CFG.rq_digit > 0;
  constant C_DG  : positive := pcnn_max(G_CFG.rq_digit, 1);
  constant C_ND  : positive := lane_clocks;
  constant C_MD  : positive := C_ND * C_DG;      -- mantissa register bits
  constant C_E   : positive := C_PO * C_ND + 3;  -- busy clocks per output group
  constant C_AW  : positive := C_ACC_W + 1;      -- accumulator (rounded to 24 bits)
  constant C_PW  : positive := C_AW + C_MD + 1;  -- product bits
  constant C_NCH : positive := C_NOG * C_PO;     -- channels incl. padded lanes
  -- max-pool in the requantiser: kernel, stride, pooled rows and columns
  constant C_POOL : boolean  := pcnn_mem_pool(G_CFG);
  constant C_PK   : positive := pcnn_max(G_CFG.pool_kernel, 1);
  constant C_PS   : positive := G_CFG.pool_stride;
  constant C_HP   : positive := pcnn_conv_out(C_HO, C_PK, C_PS, 0);
  constant C_WP   : positive := pcnn_conv_out(C_WO, C_PK, C_PS, 0);

  -- a * d (d one unsigned digit of the mantissa) as shift-and-add
  function mul_digit(a : signed; d : unsigned) return signed is
    variable r : signed(a'length + d'length - 1 downto 0);
  begin
    r := (others => '0');
    for b in 0 to d'length - 1 loop
      if d(d'low + b) = '1' then
        r := r + shift_left(resize(a, r'length), b);
      end if;
    end loop;
    return r;
  end function;

  -- clamp to clamp_lo .. clamp_hi, add the zero point (mult/exact)
  function clamp_zp(q : signed) return signed is
    variable v : signed(q'length downto 0);
  begin
    v := resize(q, q'length + 1);
    if v < to_signed(G_CFG.clamp_lo, v'length) then
      v := to_signed(G_CFG.clamp_lo, v'length);
    elsif v > to_signed(G_CFG.clamp_hi, v'length) then
      v := to_signed(G_CFG.clamp_hi, v'length);
    end if;
    v := v + to_signed(G_CFG.zp, v'length);
    return v(7 downto 0);
  end function;

  -- signed value of one input byte
  function xval(b : std_logic_vector(7 downto 0)) return integer is
  begin
    if G_CFG.in_signed then
      return to_integer(signed(b));
    end if;
    return to_integer(unsigned(b));
  end function;

  -- quarter h of x * w as shift-and-add (no multiplier cell, so no DSP:
  -- G_CFG.mul_logic): x * w(2h+1 .. 2h) * 4**h, bit 7 of w negative (h = 3); the four
  -- quarters are summed in the lane's adder tree. x in -128 .. 255, w int8, each
  -- quarter |.| < 2**15; two partial products, one adder
  function mul_quarter(x : integer; w : std_logic_vector(7 downto 0); h : natural)
    return integer is
    variable xs     : signed(17 downto 0);
    variable lo, hi : signed(17 downto 0);
  begin
    xs := to_signed(x, 18);
    lo := (others => '0');
    hi := (others => '0');
    if w(2 * h) = '1' then
      lo := shift_left(xs, 2 * h);
    end if;
    if w(2 * h + 1) = '1' then
      hi := shift_left(xs, 2 * h + 1);
    end if;
    if h = 3 then
      return to_integer(lo - hi);
    end if;
    return to_integer(lo + hi);
  end function;

  -- term h of x * w: the product, or with products in logic its quarter h
  function prod_term(x : integer; w : std_logic_vector(7 downto 0); h : natural)
    return integer is
  begin
    if G_CFG.mul_logic then
      return mul_quarter(x, w, h);
    end if;
    return x * to_integer(signed(w));
  end function;

  subtype cnt_t is unsigned(C_CB - 1 downto 0);

  -- the ring address of word ig of column x in the slot of (global) row ``row``
  function ring_addr(row : cnt_t; x : natural; ig : natural) return unsigned is
    variable a : unsigned(C_AB - 1 downto 0);
  begin
    a := (others => '0');
    if C_RB > 0 then
      a(C_AB - 1 downto C_AB - C_RB) := row(C_RB - 1 downto 0);
    end if;
    if C_XB > 0 then
      a(C_XB + C_GB - 1 downto C_GB) := to_unsigned(x, C_XB);
    end if;
    if C_GB > 0 then
      a(C_GB - 1 downto 0) := to_unsigned(ig, C_GB);
    end if;
    return a;
  end function;

  -- rows written before output row oy may start, from its image's row 0: its windows'
  -- rows, the whole image for the last one (oy >= C_HO: a row of the next image)
  function need_off(oy : natural) return natural is
    variable by : integer;
  begin
    if oy >= C_HO then
      return C_H + need_off(oy - C_HO);
    end if;
    by := -C_P + oy * C_S;
    if oy /= C_HO - 1 and by + C_K < C_H then
      return pcnn_max(by + C_K, 0);
    end if;
    return C_H;
  end function;

  -- lowest row output row oy needs, from its image's row 0 (oy >= C_HO: next image)
  function low_off(oy : natural) return natural is
  begin
    if oy >= C_HO then
      return C_H + low_off(oy - C_HO);
    end if;
    return pcnn_max(-C_P + oy * C_S, 0);
  end function;

  -- per output row oy: how many more rows the next output row needs (need) / how many
  -- rows higher its lowest row is (low), into the next image after the last row
  -- (constants: the reader's row bookkeeping adds one, no arithmetic on row numbers)
  type rowstep_t is array (C_HO - 1 downto 0) of natural;

  function row_steps(need : boolean) return rowstep_t is
    variable t : rowstep_t;
  begin
    for oy in 0 to C_HO - 1 loop
      if need then
        t(oy) := need_off(oy + 1) - need_off(oy);
      else
        t(oy) := low_off(oy + 1) - low_off(oy);
      end if;
    end loop;
    return t;
  end function;

  constant C_DNEED : rowstep_t := row_steps(true);
  constant C_DLOW  : rowstep_t := row_steps(false);

  -- the next value of a row count of the control (r_miss, w_left): one less for a row
  -- written (wd), plus this output row's constant step when the reader leaves it (rd);
  -- the changed values are summed from registers (the count, the reader's row) and
  -- constants, and rd picks the pair for a row written or not; wd (late: the input
  -- handshake, which comes from the upstream block) only picks one of the two last, so
  -- the handshake reaches the count through one multiplexer, not a priority chain
  function row_count_next(cnt : signed; step : natural; wd, rd : std_logic)
    return signed is
    variable stay, wrote : signed(cnt'range);
  begin
    if rd = '1' then
      stay  := cnt + to_signed(step, cnt'length);
      wrote := cnt + to_signed(step - 1, cnt'length);
    else
      stay  := cnt;
      wrote := cnt - 1;
    end if;
    if wd = '1' then
      return wrote;
    end if;
    return stay;
  end function;

  subtype prod_int_t is integer range -2 ** 15 to 2 ** 15 - 1;
  -- terms per product: 4 with products in logic (four quarter products), else 1
  constant C_NH     : positive := 1 + 3 * boolean'pos(G_CFG.mul_logic);
  -- a lane's terms padded to a power of two for the adder tree (C_LV levels)
  constant C_LV     : natural  := pcnn_log2_ceil(C_NH * C_PI);
  constant C_NPAD   : positive := 2 ** C_LV;
  -- the lane's adder tree: a register after every C_LPS levels (two; one with products in
  -- logic, the iCE40's slow carry chains) (C_TS stages; none with one term per lane);
  -- C_L1 levels in the first stage: one behind ECP5 blocks (their outputs reach the
  -- adders over a long route), else C_LPS; C_TSI indexes the last stage (1 when none)
  constant C_LPS    : positive := 2 - boolean'pos(G_CFG.mul_logic);
  constant C_L1     : positive := C_LPS - (C_LPS - 1) *
    boolean'pos(G_DSP = PCNN_DSP_ECP5 and not G_CFG.mul_logic);
  constant C_TS     : natural  := boolean'pos(C_LV > 0) *
    (1 + (pcnn_max(C_LV - C_L1, 0) + C_LPS - 1) / C_LPS);
  constant C_TSI    : positive := pcnn_max(C_TS, 1);
  subtype sum_int_t is integer range -(2 ** 15) * C_NPAD to (2 ** 15 - 1) * C_NPAD;
  type tree_t is array (0 to C_NPAD - 1) of sum_int_t;
  type lane_trees_t is array (0 to C_PO - 1) of tree_t;
  type tree_pipe_t is array (1 to C_TSI) of lane_trees_t;
  type tsl_pipe_t is array (1 to C_TSI) of std_logic;
  type tog_pipe_t is array (1 to C_TSI) of natural range 0 to C_NOG - 1;
  type prod_arr_t is array (0 to C_PO - 1, 0 to C_NH * C_PI - 1) of prod_int_t;
  type acc_arr_t is array (0 to C_PO - 1) of signed(C_ACC_W - 1 downto 0);

  -- the ring memory. Its name marks it for yosys as free of read-write collisions
  -- (pocket_cnn.synth.yosys.NO_RW_CHECK): the reader reads only rows the writer has
  -- finished and the writer writes no row the reader still needs (w_left), so a read
  -- and a write of one address at one clock is a masked pad tap, whose word is unused.
  -- Without the mark yosys 0.23 emulates the read-first order around every iCE40 block
  -- RAM (address compares and a bypass: ~40 cells, on the reader's address path).
  signal ring_nrw : ring_t;

  -- writer: pixel hold, input group, column, rows written (global count)
  signal w_pix     : std_logic_vector(C_PI * C_NIG * 8 - 1 downto 0);
  signal w_word    : mword_t;  -- the word written this clock: input group w_ig of w_pix
  signal w_ig      : natural range 0 to C_NIG - 1;
  signal w_x       : natural range 0 to C_W - 1;
  signal w_rows    : cnt_t;
  signal w_room    : std_logic;
  signal s_ready_r : std_logic;  -- s_ready (w_room and the pixel's last input group)
  signal w_go      : std_logic;
  -- rows the writer may still start before the ring is full, less one (see p_room)
  signal w_left  : signed(C_CB - 1 downto 0);
  -- the writer is at its row's last word; this clock it finishes a row / the reader
  -- leaves an output row
  signal w_end   : std_logic;
  signal w_rdone : std_logic;
  signal r_rdone : std_logic;
  -- r_rdone and the rise of the lowest row it brings, a clock later: the writer's room
  -- grows a clock after the reader moves (the reader's enable, a wide net, ends at these
  -- registers, not at the room count's adders)
  signal r_rdone_q : std_logic := '0';
  signal r_dlow_q  : natural range 0 to C_H + C_S := 0;

  -- reader counters: output pixel (oy, ox), base input row / column of its window,
  -- group/tap counters, weight address, first row (global) of the reader's image
  signal r_oy    : natural range 0 to C_HO - 1;
  signal r_ox    : natural range 0 to C_WO - 1;
  signal r_by    : integer range -C_P to C_H + C_S;
  signal r_bx    : integer range -C_P to C_W + C_S;
  -- a tap's input row / column (base + kernel offset: narrow adders, not 32-bit ones)
  subtype tap_row_t is integer range -C_P to C_H + C_S + C_K;
  subtype tap_col_t is integer range -C_P to C_W + C_S + C_K;
  signal r_og    : natural range 0 to C_NOG - 1;
  signal r_ky    : natural range 0 to C_K - 1;
  signal r_kx    : natural range 0 to C_K - 1;
  signal r_ig    : natural range 0 to C_NIG - 1;
  signal r_wa    : natural range 0 to C_NW - 1;
  signal r_pend  : std_logic; -- the current step is its output pixel's last (r_wa = NW - 1)
  signal r_img   : cnt_t;
  -- rows the current output row still waits for, less one
  signal r_miss  : signed(C_CB - 1 downto 0);
  signal r_ok    : std_logic;
  signal r_step  : std_logic;
  -- the current step's tap (row, column), whether it is outside the image (padding),
  -- its ring address (read), and the writer's
  signal r_cy    : tap_row_t;
  signal r_cx    : tap_col_t;
  signal r_pad   : std_logic;
  signal r_addr  : unsigned(C_AB - 1 downto 0);
  signal w_addr  : unsigned(C_AB - 1 downto 0);

  -- stage 1 (memory read register, ROM address register), stage 1b (masked word, ROM
  -- read register: the block RAM's clock-to-out and the pad mask end at a register, the
  -- multipliers start at one) and stage 2 (products) tags
  signal m1_q                                   : mword_t;
  signal w_a1                                   : natural range 0 to C_NW - 1;
  signal t1_valid, t1_mask, t1_first, t1_lastst : std_logic;
  signal t1_last                                : std_logic;
  signal t1_og                                  : natural range 0 to C_NOG - 1;
  signal x1b                                    : mword_t;
  signal w1_q                                   : wword_t;
  signal u_valid, u_first, u_lastst, u_last     : std_logic;
  signal u_og                                   : natural range 0 to C_NOG - 1;
  signal p2                                     : prod_arr_t;
  signal t2_valid, t2_first, t2_lastst, t2_last : std_logic;
  signal t2_og                                  : natural range 0 to C_NOG - 1;
  -- adder-tree stages (each lane's C_NH * C_PI terms, C_LPS levels per stage), their tags
  signal ts                                     : tree_pipe_t;
  signal ts_valid, ts_first, ts_lastst, ts_last : tsl_pipe_t;
  signal ts_og                                  : tog_pipe_t;
  -- accumulators (finished when b_valid)
  signal b_valid, b_last, b_final : std_logic;
  signal b_og                     : natural range 0 to C_NOG - 1;
  signal b_acc                    : acc_arr_t;
  -- the bias word of the output group entering the accumulator, the og of that stage
  -- and of the one before it
  signal b_bias                   : bword_t;
  signal acc_og, pre_og           : natural range 0 to C_NOG - 1;
  signal m_valid_r                : std_logic;

  signal out_free, b_move, en : std_logic;
  -- stage C (one requantiser per lane): the bytes of a group, its tags; C is free / moves
  -- into the output pixel register / B may move (into C, or the serial requantiser)
  type cy_arr_t is array (0 to C_PO - 1) of signed(7 downto 0);

  signal c_y                      : cy_arr_t;
  signal c_og                     : natural range 0 to C_NOG - 1;
  signal c_valid, c_final, c_last : std_logic;
  signal c_free, c_move, b_go     : std_logic;

  -- serial requantiser: busy count, group flags, holding bank, lane digit / channel,
  -- mantissa register, product; rounding (f), activation (q) and output (o) stage tags
  type hacc_arr_t is array (0 to C_PO - 1) of signed(C_AW - 1 downto 0);

  signal e_cnt               : natural range 0 to C_E;
  signal e_final             : std_logic;
  signal e_last              : std_logic;
  signal e_idle              : std_logic;
  signal h_acc               : hacc_arr_t;
  signal e_dig               : natural range 0 to C_ND - 1;
  signal e_k                 : natural range 0 to C_NCH - 1;
  signal e_m                 : unsigned(C_MD - 1 downto 0);
  signal e_p                 : signed(C_PW - 1 downto 0);
  signal f_v                 : std_logic;
  signal q_v                 : std_logic;
  signal f_k                 : natural range 0 to C_NCH - 1;
  signal q_k                 : natural range 0 to C_NCH - 1;
  signal q_val               : signed(C_PW + 1 downto 0);
  signal o_v                 : std_logic;
  signal o_k                 : natural range 0 to C_NCH - 1;
  signal o_y                 : signed(7 downto 0);
  signal o_first             : std_logic;
  signal o_win               : std_logic;
  signal o_out               : std_logic;
  -- pool: the engine's conv pixel (column, row), its window phase and pooled position;
  -- line memory of running maxima (pooled column, channel) and its read register
  type pline_t is array (0 to C_WP * C_CO - 1) of std_logic_vector(7 downto 0);

  signal e_ox                : natural range 0 to C_WO - 1;
  signal e_oy                : natural range 0 to C_HO - 1;
  signal e_dx                : natural range 0 to C_PS - 1;
  signal e_dy                : natural range 0 to C_PS - 1;
  signal e_px                : natural range 0 to C_WO / C_PS;
  signal e_py                : natural range 0 to C_HO / C_PS;
  signal p_win               : std_logic;
  signal p_first             : std_logic;
  signal p_out               : std_logic;
  signal pline               : pline_t;
  signal pl_q                : std_logic_vector(7 downto 0);
  signal o_pa                : natural range 0 to (C_WO / C_PS) * C_CO + C_NCH;

begin

  assert G_WEIGHTS'length = C_CO * C_CI * C_KK
    report "pcnn_pe_mem: G_WEIGHTS must hold ch_out*ch_in*kernel*kernel values" severity failure;
  assert G_BIAS'length = C_CO
    report "pcnn_pe_mem: G_BIAS must hold ch_out values" severity failure;
  assert G_CFG.requant = PCNN_RQ_SHIFT or (G_MULT'length = C_CO and G_MSHIFT'length = C_CO)
    report "pcnn_pe_mem: G_MULT and G_MSHIFT must hold ch_out values" severity failure;
  assert G_CFG.act /= PCNN_ACT_TABLE or G_TABLE'length = 256
    report "pcnn_pe_mem: G_TABLE must hold 256 values" severity failure;

  -- writer ---------------------------------------------------------------------------
  -- room: the row being written is at most R - 1 rows above the lowest row the reader
  -- still needs (the first row of its current window, or of its image); kept as a count,
  -- w_left = lowest needed row + R - 1 - rows written (negative: the writer may be below
  -- that row, rows the reader skips at stride > K): a row written takes one off, the
  -- reader leaving its output row adds the rise of its lowest row (a constant per row),
  -- a clock later (r_rdone_q: one clock per image more where the writer waits for it).
  -- w_room is its sign bit, a register bit itself (s_ready waits for no carry chain).
  w_end   <= pcnn_sl(w_ig = C_NIG - 1 and w_x = C_W - 1);
  w_rdone <= w_go and w_end;
  r_rdone <= r_step and r_pend and pcnn_sl(r_ox = C_WO - 1);

  -- s_ready is a register too (room and the pixel's last word next clock): the upstream
  -- block's enable starts at a register bit
  p_room : process (clk)
    variable nx      : signed(C_CB - 1 downto 0);
    variable ig_last : boolean;
  begin
    if rising_edge(clk) then
      r_rdone_q <= r_rdone;
      r_dlow_q  <= C_DLOW(r_oy);
      -- the count and whether the writer's input group next clock is its last; the
      -- handshake (w_go) picks last, between values made from registers only
      if w_go = '1' then
        nx      := row_count_next(w_left, r_dlow_q, w_end, r_rdone_q);
        ig_last := C_NIG = 1 or w_ig = C_NIG - 2;
      else
        nx      := row_count_next(w_left, r_dlow_q, '0', r_rdone_q);
        ig_last := w_ig = C_NIG - 1;
      end if;
      w_left    <= nx;
      s_ready_r <= (not nx(C_CB - 1)) and pcnn_sl(ig_last);
      if rst = '1' then
        w_left    <= to_signed(low_off(0) + C_R - 1, C_CB);  -- no row written, reader at row 0
        s_ready_r <= pcnn_sl(C_NIG = 1);
        r_rdone_q <= '0';
      end if;
    end if;
  end process;

  w_room <= not w_left(C_CB - 1);

  -- the input beat is written one word per clock (the source holds it until s_ready:
  -- AXI), and taken with its last word
  w_pix   <= std_logic_vector(resize(unsigned(s_data), w_pix'length));
  w_go    <= s_valid and w_room;
  s_ready <= s_ready_r;

  -- one or two input groups: the word picked by w_ig (a choice of two at most)
  g_word2 : if C_NIG <= 2 generate
    w_word <= w_pix((w_ig + 1) * C_MW - 1 downto w_ig * C_MW);
  end generate g_word2;

  -- more input groups: the first word straight from s_data; the others from a copy of
  -- the beat taken with the first word and shifted down a word per word written, so the
  -- ring's data port sees a choice of two, not a C_NIG-way multiplexer on w_ig
  g_wordn : if C_NIG > 2 generate
    signal w_rest  : std_logic_vector((C_NIG - 1) * C_MW - 1 downto 0) := (others => '0');
    signal w_first : std_logic := '1';  -- w_ig = 0, a register
  begin
    w_word <= w_pix(C_MW - 1 downto 0) when w_first = '1' else w_rest(C_MW - 1 downto 0);

    p_rest : process (clk)
    begin
      if rising_edge(clk) then
        if w_go = '1' then
          if w_first = '1' then
            w_rest <= w_pix(w_pix'high downto C_MW);
          else
            w_rest <= std_logic_vector(shift_right(unsigned(w_rest), C_MW));
          end if;
          w_first <= pcnn_sl(w_ig = C_NIG - 1);
        end if;
        if rst = '1' then
          w_first <= '1';
        end if;
      end if;
    end process;
  end generate g_wordn;

  w_addr <= ring_addr(w_rows, w_x, w_ig);

  p_write : process (clk)
  begin
    if rising_edge(clk) then
      if w_go = '1' then
        ring_nrw(to_integer(w_addr)) <= w_word;
      end if;
    end if;
  end process;

  p_wctl : process (clk)
  begin
    if rising_edge(clk) then
      if w_go = '1' then
        if w_ig = C_NIG - 1 then
          w_ig <= 0;
          if w_x = C_W - 1 then
            w_x    <= 0;
            w_rows <= w_rows + 1;
          else
            w_x <= w_x + 1;
          end if;
        else
          w_ig <= w_ig + 1;
        end if;
      end if;
      if rst = '1' then
        w_ig   <= 0;
        w_x    <= 0;
        w_rows <= (others => '0');
      end if;
    end if;
  end process;

  -- reader -----------------------------------------------------------------------------
  -- an output row may start when the input rows of its windows are written (the last
  -- one waits for the whole image, so the next image's rows follow in the ring)
  -- (r_miss: the rows still missing for the current output row, less one, kept as a
  -- count: a row written takes one off, the reader leaving its row adds the next row's
  -- extra rows, a constant per row; r_ok is its sign bit, a register bit itself)
  p_miss : process (clk)
  begin
    if rising_edge(clk) then
      r_miss <= row_count_next(r_miss, C_DNEED(r_oy), w_rdone, r_rdone);
      if rst = '1' then
        r_miss <= to_signed(need_off(0) - 1, C_CB);  -- no row written
      end if;
    end if;
  end process;

  r_ok <= r_miss(C_CB - 1);

  out_free <= (not m_valid_r) or m_ready;
  -- pool: the engine's pixel is in a window / its first / its last pixel
  p_win    <= pcnn_sl(e_dx < C_PK and e_dy < C_PK and e_px < C_WP and e_py < C_HP);
  p_first  <= pcnn_sl(e_dx = 0 and e_dy = 0);
  p_out    <= pcnn_sl(e_dx = C_PK - 1 and e_dy = C_PK - 1 and e_px < C_WP and e_py < C_HP);
  c_free   <= (not c_valid) or out_free;
  c_move   <= c_valid and out_free;
  b_go     <= (out_free and e_idle) when C_SER else c_free;
  b_move   <= b_valid and b_go;
  en       <= (not b_valid) or b_go;
  r_step   <= en and r_ok;
  m_valid  <= m_valid_r;

  -- the serial requantiser is idle (e_cnt = 0): a register formed a clock ahead, so the
  -- reader's enable is one LUT of registers and the output's ready
  p_idle : process (clk)
  begin
    if rising_edge(clk) then
      e_idle <= pcnn_sl(not C_SER or (b_move = '0' and e_cnt <= 1));
      if rst = '1' then
        e_idle <= '1';
      end if;
    end if;
  end process;

  -- stage 1: ring word (registered read at the tap's address, enable only) and weight word
  r_cy <= r_by + r_ky;
  r_cx <= r_bx + r_kx;

  -- the tap is outside the image: the base row / column against a constant range per
  -- kernel offset (comparators of a register and constants), then a choice by the offset
  -- (no adder in front of the mask register: r_cy < 0 <=> r_by < -ky, and so on)
  p_pad : process (all)
    variable rok, cok : std_logic_vector(0 to C_K - 1);
  begin
    for t in 0 to C_K - 1 loop
      rok(t) := pcnn_sl(r_by >= -t and r_by < C_H - t);
      cok(t) := pcnn_sl(r_bx >= -t and r_bx < C_W - t);
    end loop;
    r_pad <= not (rok(r_ky) and cok(r_kx));
  end process;

  r_addr <= ring_addr(r_img + to_unsigned(r_cy mod 2 ** C_CB, C_CB), r_cx mod 2 ** C_XB, r_ig);

  p_read : process (clk)
  begin
    if rising_edge(clk) then
      if en = '1' then
        m1_q <= ring_nrw(to_integer(r_addr));
      end if;
    end if;
  end process;

  -- simulation only (ghdl --synth --no-formal drops it): what the ring's mark (ring_nrw,
  -- no read-write collision check) rests on. A step that reads a tap inside the image
  -- never reads the address the writer writes at the same clock.
  p_nrw_check : process (clk)
  begin
    if rising_edge(clk) then
      assert rst = '1' or r_step = '0' or w_go = '0' or r_pad = '1' or r_addr /= w_addr
        report "pcnn_pe_mem: the ring is read and written at one address in one clock"
        severity failure;
      -- r_pad's compares of the base with constants: the tap's row and column outside
      assert rst = '1' or r_pad = pcnn_sl(r_cy < 0 or r_cy >= C_H or r_cx < 0 or r_cx >= C_W)
        report "pcnn_pe_mem: r_pad differs from the tap's position" severity failure;
    end if;
  end process;

  -- weight word, in stage 1 like the ring word: a block RAM (G_CFG.wrom_bram) is read at
  -- the counter itself into its own data register, then copied into w1_q (a block RAM's
  -- clock-to-out, 5.8 ns on ECP5, ends at a register, not at the multipliers); a ROM in
  -- logic is read at a registered address into w1_q. Both give w1_q = ROM(r_wa) one
  -- clock after r_wa, as the ring word.
  g_wbram : if G_CFG.wrom_bram generate
    signal w0 : wword_t;
  begin
    p_wrom : process (clk)
    begin
      if rising_edge(clk) then
        if en = '1' then
          w0   <= C_WROM(r_wa);
          w1_q <= w0;
        end if;
      end if;
    end process;
  end generate g_wbram;

  g_wlogic : if not G_CFG.wrom_bram generate
    p_wrom : process (clk)
    begin
      if rising_edge(clk) then
        if en = '1' then
          w_a1 <= r_wa;
          w1_q <= C_WROM(w_a1);
        end if;
      end if;
    end process;
  end generate g_wlogic;

  -- MAC datapath: the masked word, then (products in g_po) the accumulator
  p_mac : process (clk)
    variable xw   : mword_t;
    variable sa   : signed(C_ACC_W - 1 downto 0);
    variable sm   : sum_int_t;
    variable a_v  : std_logic;
    variable a_f  : std_logic;
    variable tv   : tree_t;
    variable iv   : std_logic;

    -- lane j's terms, padded with zeros to C_NPAD
    function terms(pp : prod_arr_t; j : natural) return tree_t is
      variable t : tree_t;
    begin
      for i in 0 to C_NPAD - 1 loop
        t(i) := 0;
        if i < C_NH * C_PI then
          t(i) := pp(j, i);
        end if;
      end loop;
      return t;
    end function;

    -- adder levels of stage s: 1 .. C_L1, then C_LPS more per stage
    function reduce(v : tree_t; st : positive) return tree_t is
      variable t : tree_t := v;
    begin
      for l in pcnn_max(C_L1 + C_LPS * (st - 2) + 1, 1) to pcnn_min(C_L1 + C_LPS * (st - 1), C_LV) loop
        for i in 0 to C_NPAD / 2 ** l - 1 loop
          t(i) := t(2 * i) + t(2 * i + 1);
        end loop;
      end loop;
      return t;
    end function;
  begin
    if rising_edge(clk) then
      if en = '1' then
        if t1_valid = '1' then
          xw := m1_q;
          if t1_mask = '1' then
            xw := C_PAD_WORD;
          end if;
          x1b <= xw;
        end if;
        -- the tree stages: stage 1 takes the products, stage s stage s - 1's nodes
        for st in 1 to C_TS loop
          if st = 1 then
            iv := t2_valid;
          else
            iv := ts_valid(pcnn_max(st - 1, 1));
          end if;
          if iv = '1' then
            for j in 0 to C_PO - 1 loop
              if st = 1 then
                tv := terms(p2, j);
              else
                tv := ts(pcnn_max(st - 1, 1))(j);
              end if;
              ts(st)(j) <= reduce(tv, st);
            end loop;
          end if;
        end loop;
        -- the accumulator: bias (first step of an output group) or itself, plus the
        -- lane's sum (the last tree stage's node 0, or with one term stage 2's product)
        if C_TS > 0 then
          a_v  := ts_valid(C_TSI);
          a_f  := ts_first(C_TSI);
        else
          a_v  := t2_valid;
          a_f  := t2_first;
        end if;
        if a_v = '1' then
          for j in 0 to C_PO - 1 loop
            if C_TS > 0 then
              sm := ts(C_TSI)(j)(0);
            else
              sm := p2(j, 0);
            end if;
            if a_f = '1' then
              sa := b_bias((j + 1) * C_ACC_W - 1 downto j * C_ACC_W);
            else
              sa := b_acc(j);
            end if;
            b_acc(j) <= sa + to_signed(sm, C_ACC_W);
          end loop;
        end if;
      end if;
    end if;
  end process;

  -- the bias word of the group entering the accumulator: up to four groups a LUT level
  -- beside the accumulator's first-step select; more groups read it a stage ahead into a
  -- register (the og moves with the stages; one group: a constant, ghdl --synth fails on
  -- a ROM of depth 1)
  acc_og <= ts_og(C_TSI) when C_TS > 0 else t2_og;
  pre_og <= ts_og(pcnn_max(C_TSI - 1, 1)) when C_TS > 1 else
    t2_og when C_TS = 1 else
    u_og;

  g_bias1 : if C_NOG = 1 generate
    b_bias <= C_BROM(0);
  end generate g_bias1;

  g_bias_rom : if C_NOG > 1 and C_NOG <= 4 generate
    b_bias <= C_BROM(acc_og);
  end generate g_bias_rom;

  g_bias_reg : if C_NOG > 4 generate
    p_bias : process (clk)
    begin
      if rising_edge(clk) then
        if en = '1' then
          b_bias <= C_BROM(pre_og);
        end if;
      end if;
    end process;
  end generate g_bias_reg;

  -- products: each in its own register, written by its own process (yosys 0.23's
  -- ice40_dsp folds a register shared by several multipliers wrongly into their SB_MAC16s)
  g_po : for j in 0 to C_PO - 1 generate
    g_pi : for i in 0 to C_PI - 1 generate
      -- one process per term (products in logic: four quarter products each)
      g_infer : if (G_DSP /= PCNN_DSP_ECP5 and G_DSP /= PCNN_DSP_LOGIC) or G_CFG.mul_logic
      generate
        g_term : for h in 0 to C_NH - 1 generate
          p_prod : process (clk)
            variable wb : std_logic_vector(7 downto 0);
          begin
            if rising_edge(clk) then
              if en = '1' and u_valid = '1' then
                wb := w1_q((j * C_PI + i) * 8 + 7 downto (j * C_PI + i) * 8);
                p2(j, C_NH * i + h) <= prod_term(xval(x1b(i * 8 + 7 downto i * 8)), wb, h);
              end if;
            end if;
          end process;
        end generate g_term;
      end generate g_infer;

      -- the same product in an ECP5 block whose output register is the product register
      -- (it moves with en: an entry the tags mark invalid is never read). Its operands
      -- are the masked word and weight word registers: the ring and a weight ROM in block
      -- RAM have a slow clock-to-out (5.8 ns on ECP5), which ends at those registers, not
      -- at the block's input registers (those made nextpnr take over 14 minutes on
      -- conv_4x3x1_1x1's 106 blocks)
      g_ecp5 : if G_DSP = PCNN_DSP_ECP5 and not G_CFG.mul_logic generate
        signal xb : std_logic_vector(7 downto 0);
        signal x9 : std_logic_vector(8 downto 0);
        signal pq : std_logic_vector(15 downto 0);
      begin
        xb <= x1b(i * 8 + 7 downto i * 8);
        -- the input byte as a 9-bit signed value (int8 sign-extended, uint8 zero-extended)
        x9 <= (xb(7) and pcnn_sl(G_CFG.in_signed)) & xb;

        u_mul : entity pocket_cnn.pcnn_mul_ecp5
          port map (
            clk => clk,
            ce  => en,
            x   => x9,
            w   => w1_q((j * C_PI + i) * 8 + 7 downto (j * C_PI + i) * 8),
            p   => pq
          );

        p2(j, i) <= to_integer(signed(pq));
      end generate g_ecp5;
    end generate g_pi;
  end generate g_po;

  -- the products in iCE40 blocks (G_DSP = PCNN_DSP_LOGIC, not in logic): two per SB_MAC16
  -- in its 8 x 8 mode (pcnn_mul_ice40), products 2m and 2m + 1 of the PE (product n is
  -- lane n / PI, input byte n mod PI), whose registers are the product registers (same
  -- latency; they move with en as the ECP5 blocks); an odd last one alone in its block
  g_ice40 : if G_DSP = PCNN_DSP_LOGIC and not G_CFG.mul_logic generate
    constant C_NP : positive := C_PO * C_PI;
  begin
    g_pair : for m in 0 to (C_NP + 1) / 2 - 1 generate
      constant C_NA : natural := 2 * m;
      constant C_NB : natural := pcnn_min(2 * m + 1, C_NP - 1);
      constant C_HB : boolean := 2 * m + 1 < C_NP;  -- a second product
      signal   xb   : std_logic_vector(7 downto 0);
      signal   wb   : std_logic_vector(7 downto 0);
      signal   pa   : std_logic_vector(15 downto 0);
      signal   pb   : std_logic_vector(15 downto 0);
    begin
      xb <= x1b((C_NB mod C_PI) * 8 + 7 downto (C_NB mod C_PI) * 8) when C_HB else (others => '0');
      wb <= w1_q(C_NB * 8 + 7 downto C_NB * 8) when C_HB else (others => '0');

      u_mul : entity pocket_cnn.pcnn_mul_ice40
        generic map (
          G_X_SIGNED => G_CFG.in_signed
        )
        port map (
          clk => clk,
          ce  => en,
          xa  => x1b((C_NA mod C_PI) * 8 + 7 downto (C_NA mod C_PI) * 8),
          wa  => w1_q(C_NA * 8 + 7 downto C_NA * 8),
          xb  => xb,
          wb  => wb,
          pa  => pa,
          pb  => pb
        );

      p2(C_NA / C_PI, C_NA mod C_PI) <= to_integer(signed(pa));

      g_pb : if C_HB generate
        p2(C_NB / C_PI, C_NB mod C_PI) <= to_integer(signed(pb));
      end generate g_pb;
    end generate g_pair;
  end generate g_ice40;

  p_seq : process (clk)
    variable y     : signed(7 downto 0);
    variable t     : signed(C_PW downto 0);
    variable pd    : signed(C_PW - 1 downto 0);
    variable k     : integer;
    variable co    : integer;
    variable lastp : boolean;
  begin
    if rising_edge(clk) then
      if m_ready = '1' then
        m_valid_r <= '0';
      end if;

      if C_SER then
        -- output stage: the pool's running maximum, the byte shifted in (channel order)
        o_v <= q_v;
        o_k <= q_k;
        if o_v = '1' and o_k < C_CO then
          y := o_y;
          if C_POOL then
            if o_first = '0' and signed(pl_q) > y then
              y := signed(pl_q);
            end if;
            if o_win = '1' then
              pline(o_pa) <= std_logic_vector(y);
            end if;
            if o_out = '1' then
              m_data <= std_logic_vector(y) & m_data(m_data'high downto 8);
            end if;
          else
            m_data <= std_logic_vector(y) & m_data(m_data'high downto 8);
          end if;
        end if;
        -- activation stage: clamp, zero point, activation into o_y; the pool line's byte
        -- of the lane read (a clock ahead of its compare)
        if q_v = '1' then
          if G_CFG.requant = PCNN_RQ_SHIFT then
            o_y <= q_val(7 downto 0);
          else
            o_y <= act_out(clamp_zp(q_val));
          end if;
          if C_POOL and p_win = '1' and q_k < C_CO then
            pl_q <= pline(e_px * C_CO + q_k);
          end if;
        end if;
        -- the pool's flags and line address for the output stage (the engine's pixel
        -- counters step after the last lane's output stage)
        o_first <= p_first;
        o_win   <= p_win;
        o_out   <= p_out;
        o_pa    <= e_px * C_CO + q_k;
        -- rounding stage: the finished product (24 significant bits in exact), shift
        q_v <= f_v;
        q_k <= f_k;
        if f_v = '1' then
          t := resize(e_p, C_PW + 1);
          if G_CFG.requant = PCNN_RQ_EXACT then
            t := pcnn_round_f32(e_p);
          end if;
          if G_CFG.requant = PCNN_RQ_SHIFT then
            q_val <= resize(e_p(7 downto 0), C_PW + 2);
          else
            q_val <= pcnn_rne_shift_var(t, C_MSHIFT(f_k));
          end if;
        end if;
        -- multiply: one digit of the lane's mantissa per clock, most significant first
        f_v <= '0';
        if e_cnt > 3 then
          pd := resize(mul_digit(h_acc(0), e_m(C_MD - 1 downto C_MD - C_DG)), C_PW);
          if G_CFG.requant = PCNN_RQ_SHIFT then
            -- a shift stage is requantised and activated here (its byte, sign-extended;
            -- the later stages carry it)
            pd := resize(pcnn_requant_act(resize(h_acc(0), C_ACC_W), G_CFG.shift,
                  G_CFG.act), C_PW);
          end if;
          if e_dig = 0 then
            e_p <= pd;
          else
            e_p <= shift_left(e_p, C_DG) + pd;
          end if;
          e_m <= shift_left(e_m, C_DG);
          if e_dig = C_ND - 1 then
            e_dig <= 0;
            f_v   <= '1';
            f_k   <= e_k;
            if e_k < C_NCH - 1 then
              e_k <= e_k + 1;
              e_m <= to_unsigned(C_MULT(e_k + 1), C_MD);
            end if;
            for j in 0 to C_PO - 2 loop
              h_acc(j) <= h_acc(j + 1);
            end loop;
          else
            e_dig <= e_dig + 1;
          end if;
        end if;
        if e_cnt > 0 then
          e_cnt <= e_cnt - 1;
        end if;
        if e_cnt = 1 and e_final = '1' then
          if not C_POOL then
            m_last    <= e_last;
            m_valid_r <= '1';
          elsif p_out = '1' then
            m_last    <= pcnn_sl(e_px = C_WP - 1 and e_py = C_HP - 1);
            m_valid_r <= '1';
          end if;
          -- the next conv pixel: window phase and pooled position
          if e_ox = C_WO - 1 then
            e_ox <= 0;
            e_dx <= 0;
            e_px <= 0;
            if e_oy = C_HO - 1 then
              e_oy <= 0;
              e_dy <= 0;
              e_py <= 0;
            else
              e_oy <= e_oy + 1;
              if e_dy = C_PS - 1 then
                e_dy <= 0;
                e_py <= e_py + 1;
              else
                e_dy <= e_dy + 1;
              end if;
            end if;
          else
            e_ox <= e_ox + 1;
            if e_dx = C_PS - 1 then
              e_dx <= 0;
              e_px <= e_px + 1;
            else
              e_dx <= e_dx + 1;
            end if;
          end if;
        end if;
        -- a finished group moves into the holding bank
        if b_move = '1' then
          for j in 0 to C_PO - 1 loop
            if G_CFG.requant = PCNN_RQ_EXACT then
              h_acc(j) <= pcnn_round_f32(b_acc(j));
            else
              h_acc(j) <= resize(b_acc(j), C_AW);
            end if;
          end loop;
          e_cnt   <= C_E;
          e_final <= b_final;
          e_last  <= b_last;
          e_dig   <= 0;
          e_k     <= b_og * C_PO;
          e_m     <= to_unsigned(C_MULT(b_og * C_PO), C_MD);
          b_valid <= '0';
        end if;
      -- (one requantiser per lane) stage C: the requantised, activated bytes of a group
      -- (a register), then written into the output pixel register when it is free; the
      -- pixel is out with the last group
      else
        if c_move = '1' then
          for j in 0 to C_PO - 1 loop
            for g in 0 to C_NOG - 1 loop
              co := g * C_PO + j;
              if c_og = g and co < C_CO then
                m_data(co * 8 + 7 downto co * 8) <= std_logic_vector(c_y(j));
              end if;
            end loop;
          end loop;
          if c_final = '1' then
            m_last    <= c_last;
            m_valid_r <= '1';
          end if;
          c_valid <= '0';
        end if;
        if b_move = '1' then
          for j in 0 to C_PO - 1 loop
            if G_CFG.requant = PCNN_RQ_SHIFT then
              c_y(j) <= pcnn_requant_act(b_acc(j), G_CFG.shift, G_CFG.act);
            else
              k := j;
              if C_NOG > 1 then
                k := b_og * C_PO + j;
              end if;
              c_y(j) <= act_out(pcnn_requant_mult(b_acc(j), C_MULT(k), C_MSHIFT(k),
                    G_CFG.requant = PCNN_RQ_EXACT, G_CFG.clamp_lo, G_CFG.clamp_hi,
                    G_CFG.zp));
            end if;
          end loop;
          c_og    <= b_og;
          c_final <= b_final;
          c_last  <= b_last;
          c_valid <= '1';
          b_valid <= '0';
        end if;
      end if;

      if en = '1' then
        -- tags: stage 1 (read), stage 2 (products), B (accumulator)
        lastp     := r_oy = C_HO - 1 and r_ox = C_WO - 1;
        t1_valid  <= r_ok;
        t1_mask   <= r_pad;
        t1_first  <= pcnn_sl(r_ky = 0 and r_kx = 0 and r_ig = 0);
        t1_lastst <= pcnn_sl(r_ky = C_K - 1 and r_kx = C_K - 1 and r_ig = C_NIG - 1);
        t1_og     <= r_og;
        t1_last   <= pcnn_sl(lastp);
        u_valid   <= t1_valid;
        u_first   <= t1_first;
        u_lastst  <= t1_lastst;
        u_og      <= t1_og;
        u_last    <= t1_last;
        t2_valid  <= u_valid;
        t2_first  <= u_first;
        t2_lastst <= u_lastst;
        t2_og     <= u_og;
        t2_last   <= u_last;
        for st in C_TSI downto 2 loop
          ts_valid(st)  <= ts_valid(st - 1);
          ts_first(st)  <= ts_first(st - 1);
          ts_lastst(st) <= ts_lastst(st - 1);
          ts_og(st)     <= ts_og(st - 1);
          ts_last(st)   <= ts_last(st - 1);
        end loop;
        ts_valid(1)  <= t2_valid;
        ts_first(1)  <= t2_first;
        ts_lastst(1) <= t2_lastst;
        ts_og(1)     <= t2_og;
        ts_last(1)   <= t2_last;
        if C_TS > 0 then
          b_valid <= ts_valid(C_TSI) and ts_lastst(C_TSI);
          b_og    <= ts_og(C_TSI);
          b_last  <= ts_last(C_TSI);
          b_final <= pcnn_sl(ts_og(C_TSI) = C_NOG - 1);
        else
          b_valid <= t2_valid and t2_lastst;
          b_og    <= t2_og;
          b_last  <= t2_last;
          b_final <= pcnn_sl(t2_og = C_NOG - 1);
        end if;
      end if;

      -- reader counters: ig fastest, then kx, ky, og; then the output pixel (on the
      -- pixel's last step, r_pend: a register, so the pixel and row counters' enable is
      -- the step and one flag)
      if r_step = '1' then
        if r_pend = '1' then
          r_wa <= 0;
        else
          r_wa <= r_wa + 1;
        end if;
        r_pend <= pcnn_sl(C_NW = 1 or r_wa = C_NW - 2);
        if r_ig /= C_NIG - 1 then
          r_ig <= r_ig + 1;
        else
          r_ig <= 0;
          if r_kx /= C_K - 1 then
            r_kx <= r_kx + 1;
          else
            r_kx <= 0;
            if r_ky /= C_K - 1 then
              r_ky <= r_ky + 1;
            else
              r_ky <= 0;
              if r_og /= C_NOG - 1 then
                r_og <= r_og + 1;
              else
                r_og <= 0;
              end if;
            end if;
          end if;
        end if;
        if r_pend = '1' then
          if r_ox /= C_WO - 1 then
            r_ox <= r_ox + 1;
            r_bx <= r_bx + C_S;
          else
            r_ox <= 0;
            r_bx <= -C_P;
            if r_oy /= C_HO - 1 then
              r_oy <= r_oy + 1;
              r_by <= r_by + C_S;
            else
              r_oy  <= 0;
              r_by  <= -C_P;
              r_img <= r_img + C_H;
            end if;
          end if;
        end if;
      end if;

      if rst = '1' then
        t1_valid  <= '0';
        u_valid   <= '0';
        t2_valid  <= '0';
        ts_valid  <= (others => '0');
        b_valid   <= '0';
        c_valid   <= '0';
        m_valid_r <= '0';
        m_last    <= '0';
        r_oy      <= 0;
        r_ox      <= 0;
        r_by      <= -C_P;
        r_bx      <= -C_P;
        r_og      <= 0;
        r_ky      <= 0;
        r_kx      <= 0;
        r_ig      <= 0;
        r_wa      <= 0;
        r_pend    <= pcnn_sl(C_NW = 1);
        r_img     <= (others => '0');
        e_cnt     <= 0;
        f_v       <= '0';
        q_v       <= '0';
        o_v       <= '0';
        e_ox      <= 0;
        e_oy      <= 0;
        e_dx      <= 0;
        e_dy      <= 0;
        e_px      <= 0;
        e_py      <= 0;
      end if;
    end if;
  end process;

end architecture rtl;

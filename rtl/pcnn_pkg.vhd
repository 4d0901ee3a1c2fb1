-- pcnn_pkg: shared types and helper functions of the pocket_cnn RTL.
--   pcnn_int_array_t : integer arrays (weights, biases) passed as generics
--   pcnn_act_t       : activation after requantisation
--   pcnn_pe_cfg_t    : full configuration of one processing element (PE)
--   pcnn_gap_cfg_t   : full configuration of the global average pool (GAP)
-- All helpers are pure functions usable in generics and constant declarations; the
-- entities keep no private copies of them.
library ieee;
use ieee.std_logic_1164.all;
use ieee.numeric_std.all;

package pcnn_pkg is

  type pcnn_int_array_t is array (natural range <>) of integer;

  -- Activation: none, relu = max(y, zp), leaky = y if y >= 0 else RNE(y / 8), table =
  -- a 256-entry table indexed by the internal y + 128.
  type pcnn_act_t is (PCNN_ACT_NONE, PCNN_ACT_RELU, PCNN_ACT_LEAKY, PCNN_ACT_TABLE);

  -- Requantisation: shift = sat8(RNE(acc >> shift)) (power-of-two stages); mult = one
  -- rounding RNE(acc * m >> s); exact = acc and acc * m rounded to 24 significant bits
  -- (RNE, as float32), then RNE(>> s). mult and exact clamp and add the zero point.
  type pcnn_requant_t is (PCNN_RQ_SHIFT, PCNN_RQ_MULT, PCNN_RQ_EXACT);

  -- Where the products of a PE come from: infer = a VHDL product and a register, left to
  -- the synthesis tool (SB_MAC16, MULT18X18D, DSP48 or LUTs); ecp5 = an ECP5 MULT18X18D
  -- instantiated with its own registers (pcnn_mul_ecp5): for the ECP5 targets only;
  -- logic = products in LUTs, a folded conv's (weights in logic) as two registered half
  -- products (the iCE40 flow, which maps no DSPs). Same clocks and latency in every form.
  type pcnn_dsp_t is (PCNN_DSP_INFER, PCNN_DSP_ECP5, PCNN_DSP_LOGIC);

  -- Configuration of one processing element (conv -> requant -> act -> [max-pool]).
  type pcnn_pe_cfg_t is record
    ch_in       : positive;       -- input channels
    ch_out      : positive;       -- output channels
    height      : positive;       -- unpadded input height
    width       : positive;       -- unpadded input width
    kernel      : positive;       -- conv kernel size (square)
    stride      : positive;       -- conv stride
    pad         : natural;        -- zero padding on every side (0..2)
    shift       : integer;        -- frac_in + frac_w - frac_out (may be <= 0)
    act         : pcnn_act_t;     -- activation
    in_signed   : boolean;        -- input bytes int8 (true) or uint8 (false)
    pool_kernel : natural;        -- max-pool kernel, 0 = no max-pool
    pool_stride : positive;       -- max-pool stride (ignored without pool)
    par_in      : positive;       -- input channels computed per clock
    par_out     : positive;       -- output channels computed per clock
    par_k       : positive;       -- kernel taps (of kernel*kernel) computed per clock
    wrom_bram   : boolean;        -- folded weights read from block RAM (else logic)
    acc_bits    : positive;       -- signed accumulator width that never overflows
    requant     : pcnn_requant_t; -- requantisation mode
    pad_value   : integer;        -- value of a padded input byte (the input zero point)
    zp          : integer;        -- internal zero point of the output (mult, exact)
    clamp_lo    : integer;        -- requantised value clamped to clamp_lo .. clamp_hi
    clamp_hi    : integer;        -- before zp is added (mult, exact)
    mem_form    : boolean;        -- memory-window form (pcnn_pe_mem) instead of window + conv
    mul_logic   : boolean;        -- memory form: products as shift-and-add logic, no DSP
    rq_digit    : natural;        -- memory form: serial requantiser digit bits (0: per lane)
  end record pcnn_pe_cfg_t;

  -- Configuration of the global average pool: QLinearGlobalAveragePool per channel
  -- (any scale, zero points folded in; internal int8 bytes) as clamp ->
  -- k = c*mul_a + add_b -> p = k*mul_m -> (p >> shift) - k0 with a round-half-even
  -- fix (constants from pocket_cnn.emit.gap, proven exact there).
  type pcnn_gap_cfg_t is record
    ch       : positive; -- channels per pixel
    pixels   : positive; -- H*W pixels per image
    acc_bits : positive; -- signed width of a channel sum
    clamp_lo : integer;  -- sums at or below give -128
    clamp_hi : integer;  -- sums at or above give 127
    mul_a    : positive; -- k = clamp(sum) * mul_a + add_b (k >= 0)
    add_b    : natural;  -- offset of k
    k_bits   : positive; -- unsigned width of k
    mul_m    : positive; -- reciprocal: p = k * mul_m
    m_bits   : positive; -- unsigned width of mul_m
    shift    : positive; -- q0 = (p >> shift) - k0
    k0       : natural;  -- offset removed again after the shift
    -- true: a second bank of sums (the next image accumulates while one divides);
    -- false: the sums drain in place (less area, the next image waits ch clocks)
    banked : boolean;
    -- true: one channel result per output beat (8 bits, m_last on the last channel);
    -- false: all ch results of an image in one beat
    serial : boolean;
  end record pcnn_gap_cfg_t;

  -- Integer helpers.
  function pcnn_max(a : integer; b : integer) return integer;
  function pcnn_min(a : integer; b : integer) return integer;
  function pcnn_ceil_div(a : natural; b : positive) return natural;
  -- Smallest n with 2**n >= value (0 for 1).
  function pcnn_log2_ceil(value : positive) return natural;
  -- Smallest n with 2**n >= value (at least 1).
  function pcnn_clog2(value : positive) return positive;
  -- Bits of an unsigned vector holding every value in 0 .. value (at least 1).
  function pcnn_ubits(value : natural) return positive;
  -- Smallest power of two >= value.
  function pcnn_pow2_ceil(value : positive) return positive;
  -- Output length of a window operation along one axis (floor mode).
  function pcnn_conv_out(size : positive; kernel : positive; stride : positive; pad : natural) return positive;
  -- A window that is the pixel stream itself (1x1, stride 1, no padding): pcnn_window's
  -- pass-through (a skid slice, no window register).
  function pcnn_window_pass(kernel : positive; stride : positive; pad : natural) return boolean;

  -- Round half to even of a * 2**-shift (shift >= 1); result as wide as needed
  -- (a'length + 1 bits, at least shift + 2), never overflows.
  function pcnn_rne_shift_right(a : signed; shift : positive) return signed;
  -- Requantise an accumulator: sat8(RNE(acc * 2**-shift)); shift <= 0 is an exact
  -- left shift. Result signed(7 downto 0).
  function pcnn_requant(acc : signed; shift : integer) return signed;
  -- Saturate to [-128, 127]. Result signed(7 downto 0).
  function pcnn_sat8(a : signed) return signed;
  -- Activation of an int8 value (leaky: y if y >= 0 else RNE(y / 8)).
  function pcnn_activate(y : signed(7 downto 0); act : pcnn_act_t) return signed;
  -- Same result as pcnn_activate(pcnn_requant(acc, shift), act), computed with bit slices
  -- (fast in simulation, plain wiring in synthesis); acc must be at least 8 bits wide
  -- (else, and for left shifts >= 8, it falls back to the functions above).
  function pcnn_requant_act(acc : signed; shift : integer; act : pcnn_act_t) return signed;
  -- Same as pcnn_requant_act(acc - 2**(shift-1), shift, act) for 0 < shift <= acc'length - 8:
  -- acc already holds the rounding half, so floor(acc / 2**shift) rounds half up and a
  -- tie (the low shift bits zero) clears the LSB (half to even). No adder in the path.
  function pcnn_requant_act_h(acc : signed; shift : positive; act : pcnn_act_t) return signed;

  -- v rounded half to even at the lowest bit that mask leaves (mask = 2**d - 1,
  -- d >= 0, mask'length = v'length): the masked bits cleared, one bit wider than v.
  function pcnn_rne_mask(v : signed; mask : unsigned) return signed;
  -- RNE(a * 2**-s) for any s (s <= 0: exact left shift), a'length + 1 bits wide
  -- (the caller makes a wide enough for left shifts); s need not be a constant.
  function pcnn_rne_shift_var(a : signed; s : integer) return signed;
  -- a rounded to 24 significant bits, half to even (what float32 does), a'length + 1 bits.
  function pcnn_round_f32(a : signed) return signed;
  -- General requantisation (mode mult or exact) of acc with mantissa m and shift s:
  -- clamp(RNE(acc * m * 2**-s), lo, hi) + zp, signed(7 downto 0).
  function pcnn_requant_mult(
    acc   : signed;
    m     : natural;
    s     : integer;
    exact : boolean;
    lo    : integer;
    hi    : integer;
    zp    : integer
  ) return signed;

  -- Geometry of a PE (after conv, after the optional pool).
  function pcnn_conv_height(cfg : pcnn_pe_cfg_t) return positive;
  function pcnn_conv_width(cfg : pcnn_pe_cfg_t) return positive;
  function pcnn_out_height(cfg : pcnn_pe_cfg_t) return positive;
  function pcnn_out_width(cfg : pcnn_pe_cfg_t) return positive;
  -- Number of weights and clocks per output pixel of a PE.
  function pcnn_weight_count(cfg : pcnn_pe_cfg_t) return positive;
  function pcnn_cycles_per_pixel(cfg : pcnn_pe_cfg_t) return positive;
  -- The memory-form PE does the max-pool in its serial requantiser (rq_digit > 0, a
  -- pool whose windows do not overlap): no pcnn_maxpool_line after it.
  function pcnn_mem_pool(cfg : pcnn_pe_cfg_t) return boolean;
  -- Channel results per output beat of the GAP: 1 (serial) or all of them.
  function pcnn_gap_out_ch(cfg : pcnn_gap_cfg_t) return positive;
  -- '1' for true, '0' for false.
  function pcnn_sl(b : boolean) return std_logic;
  -- Unsigned a > b and a = b (bits 1 and 0) of equal-length vectors as gates, a tree over
  -- halves: no carry chain, so the LUT mapper sees a comparison's whole cone with the
  -- logic after it and balances it (a carry chain's result enters it as an input at
  -- depth 0, and every level after it adds up). Also for constants (no concatenation:
  -- ghdl --synth evaluates it).
  function pcnn_gt_eq(a, b : std_logic_vector) return std_logic_vector;
  -- Signed a < b of equal-length vectors through pcnn_gt_eq.
  function pcnn_lt_g(a, b : signed) return boolean;

end package pcnn_pkg;

package body pcnn_pkg is

  function pcnn_sl(b : boolean) return std_logic is
  begin
    if b then
      return '1';
    end if;
    return '0';
  end function;

  function pcnn_gt_eq(a, b : std_logic_vector) return std_logic_vector is
    constant C_N  : natural := a'length;
    alias    aa   : std_logic_vector(C_N - 1 downto 0) is a;
    alias    bb   : std_logic_vector(C_N - 1 downto 0) is b;
    variable h, l : std_logic_vector(1 downto 0);
    variable r    : std_logic_vector(1 downto 0);
  begin
    if C_N = 1 then
      r(1) := aa(0) and not bb(0);
      r(0) := not (aa(0) xor bb(0));
      return r;
    end if;
    h    := pcnn_gt_eq(aa(C_N - 1 downto C_N / 2), bb(C_N - 1 downto C_N / 2));
    l    := pcnn_gt_eq(aa(C_N / 2 - 1 downto 0), bb(C_N / 2 - 1 downto 0));
    r(1) := h(1) or (h(0) and l(1));
    r(0) := h(0) and l(0);
    return r;
  end function;

  function pcnn_lt_g(a, b : signed) return boolean is
    variable ua : std_logic_vector(a'length - 1 downto 0) := std_logic_vector(a);
    variable ub : std_logic_vector(b'length - 1 downto 0) := std_logic_vector(b);
    variable ge : std_logic_vector(1 downto 0);
  begin
    ua(ua'high) := not ua(ua'high);
    ub(ub'high) := not ub(ub'high);
    ge := pcnn_gt_eq(ub, ua);
    return ge(1) = '1';
  end function;

  function pcnn_max(a : integer; b : integer) return integer is
  begin
    if a > b then
      return a;
    end if;
    return b;
  end function;

  function pcnn_min(a : integer; b : integer) return integer is
  begin
    if a < b then
      return a;
    end if;
    return b;
  end function;

  function pcnn_ceil_div(a : natural; b : positive) return natural is
  begin
    return (a + b - 1) / b;
  end function;

  function pcnn_log2_ceil(value : positive) return natural is
    variable n : natural := 0;
  begin
    -- 2**30 < value <= integer'high: n = 31 (2**31 itself is not an integer)
    while n < 31 and 2 ** n < value loop
      n := n + 1;
    end loop;
    return n;
  end function;

  function pcnn_clog2(value : positive) return positive is
  begin
    return pcnn_max(1, pcnn_log2_ceil(value));
  end function;

  function pcnn_ubits(value : natural) return positive is
  begin
    if value = integer'high then
      return 31;
    end if;
    return pcnn_clog2(value + 1);
  end function;

  function pcnn_pow2_ceil(value : positive) return positive is
    variable p : positive := 1;
  begin
    while p < value loop
      p := p * 2;
    end loop;
    return p;
  end function;

  function pcnn_conv_out(size : positive; kernel : positive; stride : positive; pad : natural) return positive is
  begin
    return (size + 2 * pad - kernel) / stride + 1;
  end function;

  function pcnn_window_pass(kernel : positive; stride : positive; pad : natural) return boolean is
  begin
    return kernel = 1 and stride = 1 and pad = 0;
  end function;

  function pcnn_rne_shift_right(a : signed; shift : positive) return signed is
    constant C_N : positive := pcnn_max(a'length, shift + 1) + 1;
    variable v   : signed(C_N - 1 downto 0);
    variable q   : signed(C_N - 1 downto 0);
    variable r   : unsigned(shift - 1 downto 0);
    variable h   : unsigned(shift - 1 downto 0);
  begin
    v := resize(a, C_N);
    q := shift_right(v, shift);
    r := unsigned(v(shift - 1 downto 0));
    h := shift_left(to_unsigned(1, shift), shift - 1);
    if r > h or (r = h and q(0) = '1') then
      q := q + 1;
    end if;
    return q;
  end function;

  function pcnn_sat8(a : signed) return signed is
    constant C_W    : positive := a'length;
    alias v         : signed(C_W - 1 downto 0) is a;
    constant C_ZERO : signed(pcnn_max(C_W - 8, 0) downto 0) := (others => '0');
    constant C_ONES : signed(pcnn_max(C_W - 8, 0) downto 0) := (others => '1');
  begin
    if C_W <= 8 then
      return resize(v, 8);
    end if;
    -- in range <=> the bits from 7 up are all copies of the sign
    if v(C_W - 1 downto 7) = C_ZERO or v(C_W - 1 downto 7) = C_ONES then
      return v(7 downto 0);
    elsif v(C_W - 1) = '1' then
      return to_signed(-128, 8);
    end if;
    return to_signed(127, 8);
  end function;

  function pcnn_requant(acc : signed; shift : integer) return signed is
    constant C_N : positive := acc'length + pcnn_max(0, -shift);
    variable v   : signed(C_N - 1 downto 0);
  begin
    if shift > 0 then
      return pcnn_sat8(pcnn_rne_shift_right(acc, pcnn_max(1, shift)));
    end if;
    v := shift_left(resize(acc, C_N), pcnn_max(0, -shift));
    return pcnn_sat8(v);
  end function;

  function pcnn_activate(y : signed(7 downto 0); act : pcnn_act_t) return signed is
    variable r : signed(7 downto 0);
  begin
    r := y;
    if y < 0 then
      if act = PCNN_ACT_RELU then
        r := (others => '0');
      elsif act = PCNN_ACT_LEAKY then
        r := resize(pcnn_rne_shift_right(y, 3), 8);
      end if;
    end if;
    return r;
  end function;

  -- pcnn_activate with bit slices (the requantisers' form): leaky's RNE(y / 8) of y in
  -- -128 .. -1 is floor y(7 .. 3), plus one above half or on half with y(3) odd
  function act_slices(y : signed(7 downto 0); act : pcnn_act_t) return signed is
    variable r   : signed(7 downto 0) := y;
    variable rnd : boolean;
  begin
    if y(7) = '1' then
      if act = PCNN_ACT_RELU then
        r := (others => '0');
      elsif act = PCNN_ACT_LEAKY then
        rnd := y(2) = '1' and (std_logic_vector(y(2 downto 0)) /= "100" or y(3) = '1');
        r   := "111" & y(7 downto 3);
        if rnd then
          r := r + 1;
        end if;
      end if;
    end if;
    return r;
  end function;

  function pcnn_requant_act(acc : signed; shift : integer; act : pcnn_act_t) return signed is
    constant C_W    : positive := acc'length;
    alias a         : signed(C_W - 1 downto 0) is acc;
    constant C_S    : natural  := pcnn_max(0, shift);  -- right shift
    constant C_L    : natural  := pcnn_max(0, -shift); -- left shift
    constant C_R    : boolean  := shift > 0 and C_W >= C_S + 8;
    constant C_LS   : boolean  := shift <= 0 and C_L <= 7 and C_W >= 8;
    -- bits above the int8 range of the result: all equal <=> no saturation
    constant C_HI_N : positive := pcnn_max(1, C_W - C_S - 7 + C_L);
    constant C_ZERO : std_logic_vector(C_HI_N - 1 downto 0) := (others => '0');
    constant C_ONES : std_logic_vector(C_HI_N - 1 downto 0) := (others => '1');
    variable half   : std_logic_vector(pcnn_max(C_S, 1) - 1 downto 0) := (others => '0');
    variable hi     : std_logic_vector(C_HI_N - 1 downto 0);
    variable y      : signed(7 downto 0);
    variable rnd    : boolean;
  begin
    if not (C_R or C_LS) then
      return pcnn_activate(pcnn_requant(acc, shift), act);
    end if;
    y   := (others => '0');
    rnd := false;
    if C_R then
      -- q = acc(W-1 .. S) (floor), round up if the remainder is above half or half and q odd
      half(C_S - 1) := '1';
      hi  := std_logic_vector(a(C_W - 1 downto C_W - C_HI_N));
      rnd := a(C_S - 1) = '1'
        and (std_logic_vector(a(C_S - 1 downto 0)) /= half or a(C_S) = '1');
      if hi = C_ZERO then
        y := a(C_S + 7 downto C_S);
        if std_logic_vector(y(6 downto 0)) = "1111111" then
          rnd := false; -- 127 + 1 saturates to 127
        end if;
      elsif hi = C_ONES then
        y := a(C_S + 7 downto C_S);
      elsif a(C_W - 1) = '0' then
        y   := to_signed(127, 8);
        rnd := false;
      else
        y   := to_signed(-128, 8); -- q < -128: q + 1 <= -128
        rnd := false;
      end if;
    else
      -- exact left shift by L: bits acc(W-1 .. 7-L) all equal <=> no saturation
      hi := std_logic_vector(a(C_W - 1 downto 7 - C_L));
      if hi = C_ZERO or hi = C_ONES then
        for i in C_L to 7 loop
          y(i) := a(i - C_L);
        end loop;
      elsif a(C_W - 1) = '0' then
        y := to_signed(127, 8);
      else
        y := to_signed(-128, 8);
      end if;
    end if;
    if rnd then
      y := y + 1;
    end if;
    return act_slices(y, act);
  end function;

  function pcnn_requant_act_h(acc : signed; shift : positive; act : pcnn_act_t) return signed is
    constant C_W    : positive := acc'length;
    alias a         : signed(C_W - 1 downto 0) is acc;
    -- bits above the int8 range of the result: all equal <=> no saturation
    constant C_HI_N : positive := C_W - shift - 7;
    constant C_ZERO : std_logic_vector(C_HI_N - 1 downto 0) := (others => '0');
    constant C_ONES : std_logic_vector(C_HI_N - 1 downto 0) := (others => '1');
    constant C_LOZ  : std_logic_vector(shift - 1 downto 0)  := (others => '0');
    variable hi     : std_logic_vector(C_HI_N - 1 downto 0);
    variable y      : signed(7 downto 0);
  begin
    hi := std_logic_vector(a(C_W - 1 downto C_W - C_HI_N));
    if hi = C_ZERO or hi = C_ONES then
      y := a(shift + 7 downto shift);
      if std_logic_vector(a(shift - 1 downto 0)) = C_LOZ then
        y(0) := '0'; -- a tie: q - 1 if q is odd (int8 bounds are not crossed)
      end if;
    elsif a(C_W - 1) = '0' then
      y := to_signed(127, 8);
    else
      y := to_signed(-128, 8);
    end if;
    return act_slices(y, act);
  end function;

  function pcnn_rne_mask(v : signed; mask : unsigned) return signed is
    -- floor(v / 2**d) rounds up exactly when v + (half - 1) + (kept LSB) carries into
    -- bit d (two's complement, any sign); then the masked bits are cleared. No shifter:
    -- the mask does the positioning.
    constant C_N : positive := v'length;
    variable m   : unsigned(C_N - 1 downto 0);
    variable x   : signed(C_N - 1 downto 0);
    variable lsb : std_logic;
    variable t   : signed(C_N downto 0);
  begin
    m   := mask;
    x   := v;
    lsb := '0';
    for i in 1 to C_N - 1 loop
      lsb := lsb or (x(i) and m(i - 1) and not m(i));
    end loop;
    t := resize(x, C_N + 1) + signed('0' & shift_right(m, 1));
    if lsb = '1' then
      t := t + 1;
    end if;
    return t and not signed('0' & m);
  end function;

  function pcnn_rne_shift_var(a : signed; s : integer) return signed is
    -- floor-based RNE on the two's complement value: one add, an arithmetic shift
    constant C_N : positive := a'length + 1;
    variable v   : signed(C_N - 1 downto 0);
    variable msk : unsigned(C_N - 1 downto 0);
    variable t   : signed(C_N downto 0);
    variable w   : unsigned(2 * C_N downto 0);
    variable q   : signed(C_N - 1 downto 0);
  begin
    v := resize(a, C_N);
    if s <= 0 then
      q := shift_left(v, -s);
    elsif s >= C_N then
      q := (others => '0'); -- |a| < 2**(s-1): rounds to 0
    else
      for i in 0 to C_N - 1 loop
        msk(i) := '0';
        if i < s then
          msk(i) := '1';
        end if;
      end loop;
      -- arithmetic shift as a logical one of the sign-extended value: GHDL's Verilog
      -- writer renders a signed shift_right as >>> on an unsigned wire (a logical shift)
      t := pcnn_rne_mask(v, msk);
      w := shift_right(unsigned(resize(t, 2 * C_N + 1)), s);
      q := signed(w(C_N - 1 downto 0));
    end if;
    return q;
  end function;

  function pcnn_round_f32(a : signed) return signed is
    -- bit i is cleared when a significant bit sits at i + 24 or above: a prefix OR of
    -- the bits that differ from the sign (for a < 0 that is |a| - 1, one bit shorter
    -- than |a| only at powers of two, whose low bits are 0 anyway); no shifter
    constant C_N : positive := a'length + 1;
    variable v   : signed(C_N - 1 downto 0);
    variable msk : unsigned(C_N - 1 downto 0);
    variable t   : signed(C_N downto 0);
    variable any : std_logic;
  begin
    v := resize(a, C_N);
    if C_N <= 25 then
      return v; -- |a| < 2**24: exact in float32
    end if;
    msk := (others => '0');
    any := '0';
    for i in C_N - 1 downto 0 loop
      any := any or (v(i) xor v(C_N - 1));
      if i >= 24 then
        msk(i - 24) := any;
      end if;
    end loop;
    t := pcnn_rne_mask(v, msk);
    -- |a| < 2**(C_N - 2): rounding away from 0 stays within C_N bits
    return t(C_N - 1 downto 0);
  end function;

  function pcnn_requant_mult(
    acc   : signed;
    m     : natural;
    s     : integer;
    exact : boolean;
    lo    : integer;
    hi    : integer;
    zp    : integer
  ) return signed is
    constant C_P : positive := acc'length + 26;
    variable a   : signed(acc'length downto 0);
    variable p   : signed(C_P - 1 downto 0);
    variable q   : signed(C_P downto 0);
  begin
    a := resize(acc, acc'length + 1);
    if exact then
      a := pcnn_round_f32(acc);
    end if;
    p := resize(a * to_signed(m, 25), C_P);
    if exact then
      p := resize(pcnn_round_f32(p), C_P);
    end if;
    q := pcnn_rne_shift_var(p, s);
    -- signed operands only (no integer compare): the same netlist in every writer
    if q < to_signed(lo, C_P + 1) then
      q := to_signed(lo, C_P + 1);
    elsif q > to_signed(hi, C_P + 1) then
      q := to_signed(hi, C_P + 1);
    end if;
    q := q + to_signed(zp, C_P + 1);
    return q(7 downto 0);
  end function;

  function pcnn_conv_height(cfg : pcnn_pe_cfg_t) return positive is
  begin
    return pcnn_conv_out(cfg.height, cfg.kernel, cfg.stride, cfg.pad);
  end function;

  function pcnn_conv_width(cfg : pcnn_pe_cfg_t) return positive is
  begin
    return pcnn_conv_out(cfg.width, cfg.kernel, cfg.stride, cfg.pad);
  end function;

  function pcnn_out_height(cfg : pcnn_pe_cfg_t) return positive is
  begin
    if cfg.pool_kernel = 0 then
      return pcnn_conv_height(cfg);
    end if;
    return pcnn_conv_out(pcnn_conv_height(cfg), cfg.pool_kernel, cfg.pool_stride, 0);
  end function;

  function pcnn_out_width(cfg : pcnn_pe_cfg_t) return positive is
  begin
    if cfg.pool_kernel = 0 then
      return pcnn_conv_width(cfg);
    end if;
    return pcnn_conv_out(pcnn_conv_width(cfg), cfg.pool_kernel, cfg.pool_stride, 0);
  end function;

  function pcnn_weight_count(cfg : pcnn_pe_cfg_t) return positive is
  begin
    return cfg.ch_out * cfg.ch_in * cfg.kernel * cfg.kernel;
  end function;

  function pcnn_cycles_per_pixel(cfg : pcnn_pe_cfg_t) return positive is
  begin
    return pcnn_ceil_div(cfg.ch_in, cfg.par_in) * pcnn_ceil_div(cfg.ch_out, cfg.par_out) *
      pcnn_ceil_div(cfg.kernel * cfg.kernel, cfg.par_k);
  end function;

  function pcnn_mem_pool(cfg : pcnn_pe_cfg_t) return boolean is
  begin
    return cfg.mem_form and cfg.rq_digit > 0 and cfg.pool_kernel > 0 and
      cfg.pool_stride >= cfg.pool_kernel;
  end function;

  function pcnn_gap_out_ch(cfg : pcnn_gap_cfg_t) return positive is
  begin
    if cfg.serial then
      return 1;
    end if;
    return cfg.ch;
  end function;

end package body pcnn_pkg;

-- pcnn_window: sliding window with virtual padding: line buffers in memory feeding a
-- K x K register window.
-- Input: one pixel (G_CHANNELS bytes) per beat, raster order, images back to back.
-- Output: one whole K x K window per beat, element (ky, kx) = pixel index ky*K+kx
-- (bits (ky*K+kx)*C*8 ...), windows in raster order of output positions, m_last on the
-- last window of an image. Padding is virtual: padded pixels are never scanned,
-- out-of-range elements are output as the pad byte.
-- Storage: R = K+2 row slots (K+1 at stride > 1 unless P >= K), each its own memory of
-- W pixels with one write port and one read port: registered data at a plain address
-- for long rows (so yosys maps it to block RAM), a registered address for short rows
-- (LUT RAM or flip-flops). Slots follow a running row count, so consecutive images share them and
-- the bottom-edge windows of one image are emitted while the next image's first
-- rows arrive. The reader reads one column (the K rows of its output row at one column)
-- per clock and shifts it into the window register (constant taps); a window leaves when
-- its last column is in. Padding is a mask on the taps (one bit per window row and per
-- window column), not a choice of positions. Right-edge padding columns are filled with
-- the next output row's first columns (masked), so at stride 1 every shift emits a window.
-- A 1x1 window at stride 1 without padding is the stream itself, through a skid slice
-- (pcnn_skid: a registered s_ready that cuts the PEs' ready chain; m_last counted).
-- Area: the read path is one R:1 slot choice per window row; everything the reader
-- derives from its position is registered with it.
-- Clock: the reader's decision (one token per clock) starts at registers only; the sums
-- it and its next state need are formed from one register and a constant beside it.
-- Its two checks against the writer (f1, f2) and the writer's own comparisons (write_ok
-- is one LUT after them) are registers too: each is formed one clock ahead for every way
-- the reader and the writer can move, and the decision only chooses one (no comparator
-- between the decision and the registers it sets). The comparators feeding a choice are
-- gates, not carry chains (pcnn_gt_eq), so the LUT mapper balances comparator and choice as
-- one cone.
library ieee;
use ieee.std_logic_1164.all;
use ieee.numeric_std.all;

library pocket_cnn;
use pocket_cnn.pcnn_pkg.all;

entity pcnn_window is
  generic (
    G_CHANNELS : positive;     -- bytes per pixel
    G_HEIGHT   : positive;     -- unpadded image height
    G_WIDTH    : positive;     -- unpadded image width
    G_KERNEL   : positive;     -- window size (square)
    G_STRIDE   : positive;     -- step between windows
    G_PAD      : natural := 0; -- virtual zero padding on every side (0..2)
    G_PAD_BYTE : integer := 0  -- value of every padded byte (-128..255, the zero point)
  );
  port (
    -- clock, synchronous reset (active high)
    clk     : in  std_logic;
    rst     : in  std_logic;
    -- input: one pixel per beat, raster order, images back to back
    s_valid : in  std_logic;
    s_ready : out std_logic;
    s_data  : in  std_logic_vector(G_CHANNELS * 8 - 1 downto 0);
    -- output: one K x K window per beat, m_last on the last window of an image
    m_valid : out std_logic;
    m_ready : in  std_logic;
    m_data  : out std_logic_vector(G_KERNEL * G_KERNEL * G_CHANNELS * 8 - 1 downto 0);
    m_last  : out std_logic
  );
end entity pcnn_window;

architecture rtl of pcnn_window is

  constant C_PIX_W : positive := G_CHANNELS * 8;

  function pad_pixel return std_logic_vector is
    variable r : std_logic_vector(C_PIX_W - 1 downto 0);
  begin
    for c in 0 to G_CHANNELS - 1 loop
      r(c * 8 + 7 downto c * 8) := std_logic_vector(to_unsigned(G_PAD_BYTE mod 256, 8));
    end loop;
    return r;
  end function;

  constant C_PADPX : std_logic_vector(C_PIX_W - 1 downto 0) := pad_pixel;
  constant C_K     : positive := G_KERNEL;
  constant C_S     : positive := G_STRIDE;
  constant C_P     : natural  := G_PAD;
  constant C_H     : positive := G_HEIGHT;
  constant C_W     : positive := G_WIDTH;
  constant C_HO    : positive := pcnn_conv_out(G_HEIGHT, G_KERNEL, G_STRIDE, G_PAD);
  constant C_WO    : positive := pcnn_conv_out(G_WIDTH, G_KERNEL, G_STRIDE, G_PAD);
  -- row slots: the K rows of the reader's output row + the row being written, and one
  -- more at stride 1 (the writer gets two rows ahead: the next image's first rows arrive
  -- while a slow consumer drains the last windows, so it never waits for them) and where
  -- whole window rows are padding (P >= K: the reader spends time on rows that need no
  -- pixel)
  function ring_rows return positive is
  begin
    if G_STRIDE = 1 or G_PAD >= G_KERNEL then
      return G_KERNEL + 2;
    end if;
    return G_KERNEL + 1;
  end function;

  constant C_R : positive := ring_rows;

  -- last window column of the first / last window that holds an image column (-1: none)
  function real_chi(last : boolean) return integer is
    variable cl : integer;
    variable r  : integer := -1;
  begin
    for ox in 0 to C_WO - 1 loop
      cl := ox * C_S - C_P;
      if cl <= C_W - 1 and cl + C_K - 1 >= 0 and (last or r = -1) then
        r := cl + C_K - 1;
      end if;
    end loop;
    return r;
  end function;

  constant C_CLF : integer := real_chi(false);
  constant C_CLL : integer := real_chi(true);
  -- right-edge padding columns a row shifts in (C_BN), of which the first C_D are left
  -- empty and the others carry the next output row's first columns (the merge): then the
  -- next row's first window is already in place (C_BN - C_D - 1 <= C_CLF); only where
  -- those are image columns (rows narrower than that start afresh)
  constant C_BN    : natural := pcnn_max(0, C_CLL - (C_W - 1));
  constant C_D     : natural := pcnn_max(0, C_BN - 1 - C_CLF);
  constant C_MERGE : boolean := C_BN > C_D and C_BN - C_D <= C_W;
  -- a merge may wait for the next row's column (within an image) when the slots hold
  -- the next row's rows too (R >= K + S), else it gives up (the row starts afresh)
  constant C_WAIT : boolean := C_R >= C_K + C_S;
  -- rows of more than 64 bits are read through a data register (block RAM on iCE40 and
  -- ECP5 when long enough), shorter ones at a registered address (LUT RAM on ECP5,
  -- flip-flops on iCE40, without a data register)
  constant C_SYNC : boolean := C_W * C_PIX_W > 64;
  -- a window with no image row or no image column exists only where the padding is at
  -- least the kernel (rl < 1 - K or rl > H - 1 needs P >= K; the same for columns): else
  -- the reader's "needs no pixel" branch and its writer-in-this-image flag are left out
  constant C_NONE : boolean := G_PAD >= G_KERNEL;
  -- slot offset from the last output row of an image to the first of the next
  constant C_ROFF : natural := (C_H - (C_HO - 1) * C_S) mod C_R;

  -- bits of a signed vector holding every value in lo .. hi
  function sbits(lo : integer; hi : integer) return positive is
  begin
    return pcnn_clog2(pcnn_max(pcnn_max(-lo, hi + 1), 2)) + 1;
  end function;

  -- widths: e (writer row relative to row 0 of the reader's image, next image included),
  -- first rows of output rows, columns of the reader, slots, memory addresses, counters
  constant C_EB : positive := sbits(-C_H - 1, 2 * C_H + C_R + 1);
  constant C_RB : positive := sbits(-C_P - C_K - 1, C_H + C_P + C_S + C_K + 1);
  constant C_CB : positive := sbits(-C_P - C_K - 1, C_W + C_P + C_S + 2 * C_K + 1);
  constant C_SB : positive := pcnn_clog2(C_R);
  constant C_XB : positive := pcnn_clog2(C_W);
  constant C_WB : positive := pcnn_clog2(pcnn_max(C_H, C_W) + 1);

  subtype pixel_t is std_logic_vector(C_PIX_W - 1 downto 0);
  type pixels_t is array (0 to C_R - 1) of pixel_t;
  subtype slot_t is unsigned(C_SB - 1 downto 0);
  -- a slot as a one-hot word (bit s set for slot s)
  subtype slot_oh_t is std_logic_vector(0 to C_R - 1);
  type slots_oh_t is array (0 to C_K - 1) of slot_oh_t;

  -- (a + b) mod R for a in 0 .. R-1, b a constant
  function slot_add(a : slot_t; b : natural) return slot_t is
    variable t : unsigned(C_SB downto 0);
  begin
    t := resize(a, C_SB + 1) + to_unsigned(b mod C_R, C_SB + 1);
    if t >= to_unsigned(C_R, C_SB + 1) then
      t := t - to_unsigned(C_R, C_SB + 1);
    end if;
    return t(C_SB - 1 downto 0);
  end function;

  -- what the reader derives from the first window row rl of an output row
  type row_info_t is record
    none : std_logic;                            -- no window row inside the image
    hi   : signed(C_EB - 1 downto 0);            -- last image row needed: min(H-1, rl+K-1)
    lor  : signed(C_EB - 1 downto 0);            -- first row needed (clamped) + R
    ok   : std_logic_vector(C_K - 1 downto 0);   -- window row ky inside the image
  end record row_info_t;

  -- the row info (an output row of the reader's image) with rl + K - 1 (rk) and rl + R
  -- (rr) given, both C_RB bits: every condition compares rl with a constant, no adder
  -- (rr is exact where it is used: rl inside the image); gates: the comparisons as trees
  -- of gates (pcnn_lt_g; not for constants: ghdl --synth's netlist of the network then
  -- differed from its simulation)
  function row_info_pre(
    rl    : signed(C_RB - 1 downto 0);
    rk    : signed(C_RB - 1 downto 0);
    rr    : signed(C_RB - 1 downto 0);
    gates : boolean
  ) return row_info_t is
    variable ri : row_info_t;

    -- a < b, a gate tree or an operator
    function lt(a, b : signed) return boolean is
    begin
      if gates then
        return pcnn_lt_g(a, b);
      end if;
      return a < b;
    end function;

    constant C_HM1 : signed(C_RB - 1 downto 0) := to_signed(C_H - 1, C_RB);
  begin
    ri.none := '0';
    if lt(C_HM1, rl) or lt(rl, to_signed(1 - C_K, C_RB)) then
      ri.none := '1';
    end if;
    if lt(to_signed(C_H - C_K, C_RB), rl) then
      ri.hi := to_signed(C_H - 1, C_EB);
    else
      ri.hi := resize(rk, C_EB);
    end if;
    if rl(C_RB - 1) = '1' then
      ri.lor := to_signed(C_R, C_EB);
    elsif lt(C_HM1, rl) then
      ri.lor := to_signed(C_H + C_R, C_EB);  -- no row of this image (nor of the next)
    else
      ri.lor := resize(rr, C_EB);
    end if;
    for ky in 0 to C_K - 1 loop
      ri.ok(ky) := '0';
      if not lt(rl, to_signed(-ky, C_RB)) and not lt(to_signed(C_H - 1 - ky, C_RB), rl) then
        ri.ok(ky) := '1';
      end if;
    end loop;
    return ri;
  end function;

  -- nxt: the output row belongs to the next image (rows counted from the reader's image)
  function row_info(rl : signed(C_RB - 1 downto 0); nxt : boolean) return row_info_t is
    variable ri : row_info_t;
  begin
    ri := row_info_pre(rl, rl + to_signed(C_K - 1, C_RB), rl + to_signed(C_R, C_RB), false);
    if nxt then
      ri.hi := ri.hi + to_signed(C_H, C_EB);
    end if;
    return ri;
  end function;

  -- what the reader derives from the first window column cl of a window
  type col_info_t is record
    none : std_logic;                          -- no window column inside the image
    chi  : signed(C_CB - 1 downto 0);          -- last window column cl+K-1
    ok   : std_logic_vector(C_K - 1 downto 0); -- window column kx inside the image
  end record col_info_t;

  function col_info(cl : signed(C_CB - 1 downto 0)) return col_info_t is
    variable ci     : col_info_t;
    constant C_WM1  : signed(C_CB - 1 downto 0) := to_signed(C_W - 1, C_CB);
  begin
    -- every condition compares cl with a constant (no adder in front of a comparator)
    ci.chi := cl + to_signed(C_K - 1, C_CB);
    ci.none := '0';
    if cl > C_WM1 or cl < to_signed(1 - C_K, C_CB) then
      ci.none := '1';
    end if;
    for kx in 0 to C_K - 1 loop
      ci.ok(kx) := '0';
      if cl >= to_signed(-kx, C_CB) and cl <= to_signed(C_W - 1 - kx, C_CB) then
        ci.ok(kx) := '1';
      end if;
    end loop;
    return ci;
  end function;

  -- target rows of the reader's checks, counted from row 0 of its image: up to the row
  -- after the next output row, which may lie in the image after the next one
  constant C_HB : positive := C_EB + 1;
  subtype hrow_t is signed(C_HB - 1 downto 0);

  -- after this clock the writer is past pixel (row h, column c) in raster order: it is
  -- at (row e, column x) now and writes that pixel now if wr; one comparator over the
  -- rows and columns side by side (c in 0 .. W-1; c < 0 only where windows skip
  -- columns with left padding: then row h is enough)
  function past_next(
    e  : signed(C_EB - 1 downto 0);
    x  : unsigned(C_WB - 1 downto 0);
    wr : std_logic;
    h  : hrow_t;
    c  : signed
  ) return std_logic is
    variable a, b : signed(C_HB + C_XB - 1 downto 0);
    variable eh   : hrow_t;
    variable ge   : std_logic_vector(1 downto 0);
  begin
    eh := resize(e, C_HB);
    -- c < 0 by its sign bit (ghdl --synth does not fold "<" on an unconstrained signed)
    if C_S > C_K and C_P > 0 and c(c'high) = '1' then
      return pcnn_sl(eh >= h or (wr = '1' and eh + 1 = h and x = C_W - 1));
    end if;
    a := eh & signed(resize(x, C_XB));
    b := h & signed(resize(unsigned(c), C_XB));
    -- signed: the sign bits inverted, then unsigned
    a(a'high) := not a(a'high);
    b(b'high) := not b(b'high);
    ge := pcnn_gt_eq(std_logic_vector(a), std_logic_vector(b));
    return ge(1) or (wr and ge(0));
  end function;

  -- one-hot slot a + b (mod R) for a constant b: a rotation, no logic
  function slot_oh_add(a : slot_oh_t; b : natural) return slot_oh_t is
    variable r : slot_oh_t;
  begin
    for sl in 0 to C_R - 1 loop
      r((sl + b) mod C_R) := a(sl);
    end loop;
    return r;
  end function;

  -- slots of the rows rl0 + ky (rows counted from slot 0 = row 0 of the first image),
  -- one-hot
  function init_slots(rl0 : integer) return slots_oh_t is
    variable s : slots_oh_t;
  begin
    for ky in 0 to C_K - 1 loop
      s(ky)                     := (others => '0');
      s(ky)((rl0 + ky) mod C_R) := '1';
    end loop;
    return s;
  end function;

  -- the output row after row 0 at reset: row 1, or row 0 of the next image
  function next_rl0 return integer is
  begin
    if C_HO > 1 then
      return C_S - C_P;
    end if;
    return -C_P;
  end function;

  constant C_NXT0 : boolean    := C_HO = 1;
  constant C_RI0  : row_info_t := row_info(to_signed(-C_P, C_RB), false);
  constant C_NI0  : row_info_t := row_info(to_signed(next_rl0, C_RB), C_NXT0);
  -- the info of the next image's first output row (as the next row)
  constant C_NIW  : row_info_t := row_info(to_signed(-C_P, C_RB), true);
  constant C_CI0  : col_info_t := col_info(to_signed(-C_P, C_CB));
  -- row_info(nrow_ls, false) at reset, and after an image's last output row (nrow_ls =
  -- S - P)
  constant C_RL1  : row_info_t := row_info(to_signed(next_rl0 + C_S, C_RB), false);
  constant C_RW1  : row_info_t := row_info(to_signed(C_S - C_P, C_RB), false);
  -- the info of a row's second window (col_lo = S - P)
  constant C_CI1  : col_info_t := col_info(to_signed(C_S - C_P, C_CB));
  constant C_RS0  : slots_oh_t := init_slots(-C_P);
  constant C_NRS0 : slots_oh_t := init_slots(next_rl0 + C_H * boolean'pos(C_NXT0));
  -- nlor at reset: the next output row's first row needed (+ H: it is in the next image)
  constant C_NLOR0 : signed(C_EB downto 0) := resize(C_NI0.lor, C_EB + 1) + C_H * boolean'pos(C_HO = 1);

  -- row_info(rl, false).lor + off, one adder (beside the comparators with constants)
  function lor_at(rl : signed; off : integer) return hrow_t is
  begin
    if rl(rl'high) = '1' then
      return to_signed(C_R + off, C_HB);
    elsif rl > to_signed(C_H - 1, rl'length) then
      return to_signed(C_H + C_R + off, C_HB);
    end if;
    return resize(rl, C_HB) + to_signed(C_R + off, C_HB);
  end function;

  -- what the writer's row e is checked against at the reader's next row change: the
  -- nlor it sets, counted from the reader's image now (+ H when it moves to the next
  -- image), for the reader on output row o with nrow_ls = rl
  function ny_of(o : natural; rl : signed) return hrow_t is
    variable last : boolean;  -- the next output row is its image's last
    variable drop : integer;
  begin
    last := C_HO = 1 or o = C_HO - 2;
    drop := 0;
    if o = C_HO - 1 then
      drop := C_H;
    end if;
    if last then
      return resize(C_NIW.lor, C_HB) + (C_H + drop);
    end if;
    return lor_at(rl, drop);
  end function;

  constant C_NY0 : hrow_t := ny_of(0, to_signed(next_rl0 + C_S, C_RB));
  -- the writer's checks at reset (e = 0, e + 1 against rinfo.lor and nlor)
  constant C_CKX1 : boolean := to_integer(C_RI0.lor) > 0;
  constant C_CKX2 : boolean := to_integer(C_RI0.lor) > 1;
  constant C_CKY1 : boolean := to_integer(C_NLOR0) > 0;
  constant C_CKY2 : boolean := to_integer(C_NLOR0) > 1;
  -- nrow_ls + S: one bit more than the output rows' first rows (it runs one row further)
  constant C_L2B : positive := C_RB + 1;

  -- resize(nrow_l2, C_RB) + a for nrow_l2 = v
  function l2_plus(v : integer; a : natural) return signed is
  begin
    return resize(to_signed(v, C_L2B), C_RB) + to_signed(a, C_RB);
  end function;

  -- nk2 and nr2 at reset
  constant C_NK20 : signed(C_RB - 1 downto 0) := l2_plus(next_rl0 + 2 * C_S, C_K - 1);
  constant C_NR20 : signed(C_RB - 1 downto 0) := l2_plus(next_rl0 + 2 * C_S, C_R);

  -- a 1x1 window with stride 1 and no padding is the pixel itself: no register
  constant C_PASS : boolean := pcnn_window_pass(C_K, C_S, C_P);

begin

  g_pass : if C_PASS generate
    -- no window register: the pixel passes through a skid slice (pcnn_skid: s_ready is
    -- a register, so the ready chain of the PEs is cut here); only m_last is counted
    signal cnt     : unsigned(pcnn_clog2(C_H * C_W + 1) - 1 downto 0) := (others => '0');
    -- set by the first reset: before it the upstream valid may be undefined
    signal alive   : std_logic := '0';
    signal k_valid : std_logic;
  begin
    u_skid : entity pocket_cnn.pcnn_skid
      generic map (G_WIDTH => C_PIX_W)
      port map (
        clk => clk, rst => rst,
        s_valid => s_valid, s_ready => s_ready, s_data => s_data,
        m_valid => k_valid, m_ready => m_ready, m_data => m_data);

    m_valid <= k_valid and alive;
    m_last  <= '1' when cnt = C_H * C_W - 1 else '0';

    p_pass : process (clk)
    begin
      if rising_edge(clk) then
        if k_valid = '1' and m_ready = '1' then
          if cnt = C_H * C_W - 1 then
            cnt <= (others => '0');
          else
            cnt <= cnt + 1;
          end if;
        end if;
        if rst = '1' then
          cnt   <= (others => '0');
          alive <= '1';
        end if;
      end if;
    end process;
  end generate g_pass;

  g_lines : if not C_PASS generate
    signal m_valid_r : std_logic := '0';
    -- writer: next pixel to write (row wy, col wx of its image), its slot
    -- (registers start at their reset values: no metavalues before the first reset)
    signal wy, wx : unsigned(C_WB - 1 downto 0) := (others => '0');
    signal wslot  : slot_t := (others => '0');
    -- e: writer row relative to row 0 of the reader's image (running row difference)
    signal e      : signed(C_EB - 1 downto 0) := (others => '0');
    -- reader: next window (oy, ox), its first column, what it derives from its rows
    -- (rinfo, slots rs) and columns (cinfo); the next output row's first row (relative to
    -- its image), whether it is in the next image, its rows and slots
    signal oy      : natural range 0 to C_HO - 1 := 0;
    signal ox      : natural range 0 to C_WO - 1 := 0;
    signal col_lo  : signed(C_CB - 1 downto 0) := to_signed(-C_P, C_CB);
    -- col_lo + S and its column info, kept beside them: the next window's info is a
    -- register (no adder and comparators behind the decision on the way to cinfo)
    signal col_ls  : signed(C_CB - 1 downto 0) := to_signed(C_S - C_P, C_CB);
    signal cinfo_n : col_info_t := C_CI1;
    signal rinfo   : row_info_t := C_RI0;
    signal rs      : slots_oh_t := C_RS0;
    signal cinfo   : col_info_t := C_CI0;
    signal nrow_lo : signed(C_RB - 1 downto 0) := to_signed(next_rl0, C_RB);
    -- nrow_lo + S, kept beside it (no adder in front of the next row's row_info)
    signal nrow_ls : signed(C_RB - 1 downto 0) := to_signed(next_rl0 + C_S, C_RB);
    -- row_info(nrow_ls, false), kept beside it (formed a row change ahead: no adder and
    -- comparators behind the decision on its way)
    signal ri_ls   : row_info_t := C_RL1;
    signal nwrap   : std_logic := '0';
    signal ninfo   : row_info_t := C_NI0;
    signal nrs     : slots_oh_t := C_NRS0;
    -- sc: column (of the reader's output row) last shifted into the window register;
    -- mgood: the right-edge shifts of this row carried the next row's columns so far
    signal sc    : signed(C_CB - 1 downto 0) := to_signed(-1, C_CB);
    -- c_nx: sc + 1, kept beside sc (no adder in front of the decision's compares)
    signal c_nx  : signed(C_CB - 1 downto 0) := to_signed(0, C_CB);
    -- c_nxm: c_nx - (W + D), the next row's column a merge would carry, kept beside it
    signal c_nxm : signed(C_CB - 1 downto 0) := to_signed(-C_W - C_D, C_CB);
    signal mgood : std_logic := '1';
    -- the writer against the reader's image, kept as registers so the decision needs no
    -- comparator on e: wk = (e - wy) / H, the images the writer is ahead (|e - wy| <
    -- (R + 4) * H by e's range); wnz: the writer is past the first pixel of its image;
    -- w_st: it has written a pixel of the reader's image
    signal wk    : integer range -C_R - 4 to C_R + 4 := 0;
    signal wnz   : std_logic := '0';
    signal w_st  : std_logic := '0';
    -- the decision's two checks as registers: f1, the writer is past the reader's next
    -- column (c) in the last row its output row needs; f2, past the column a merge would
    -- carry (j) in the last row the next output row needs. Each is formed one clock ahead
    -- for the reader's position after the clock, for every way it can move (no token:
    -- fa; a token within the row or a row change that carries the merge: fb; a row
    -- change afresh: fd, where j < 0 and f2 is not looked at), the decision only chooses
    signal f1, f2        : std_logic := '0';
    signal fa1, fa2      : std_logic;
    signal fb1, fb2, fd1 : std_logic;
    -- windows not further apart than wide: the checks of every target (pk: pa, pb, pc,
    -- pd, pf, pg of p_flags) and the decision's choice among them, one-hot (fsel: pa /
    -- pc, pb / pd, pc / pg, pd / pf for f1 / f2, or fd1 / 0): the next f1 / f2 is an
    -- AND-OR of the two
    signal pk   : std_logic_vector(0 to 5);
    signal fsel : std_logic_vector(0 to 4);
    -- the decision's column and merge column (c, j), for the flags of the next clock
    signal t_c, t_j      : signed(C_CB - 1 downto 0);
    -- windows not further apart than wide: the columns of every check target, c_nx plus
    -- a constant (C_OFF), kept as registers beside c_nx (no adder in front of the checks)
    constant C_M   : integer := C_W + C_D;
    -- whether the first decision after a row change that carried the merge can look at
    -- f2 (its column c_nx <= C_CLL + 1 - M reaches M: only on rows of one or two
    -- pixels); where it cannot, f2 is not formed for that move (it is formed exactly
    -- again on the clock after)
    constant C_F2RC : boolean := C_CLL + 2 - C_M >= C_M;
    type offs_t is array (0 to 5) of integer;
    constant C_OFF  : offs_t := (0, 1, -C_M, 1 - C_M, 1 - 2 * C_M, -2 * C_M);
    subtype qcol_t is signed(C_CB + 1 downto 0);
    type qcols_t is array (0 to 5) of qcol_t;
    function init_cq return qcols_t is
      variable r : qcols_t;
    begin
      for i in 0 to 5 loop
        r(i) := to_signed(C_OFF(i), C_CB + 2);
      end loop;
      return r;
    end function;
    constant C_CQ0  : qcols_t := init_cq;
    signal cq       : qcols_t := C_CQ0;
    constant C_QW   : qcol_t  := to_signed(C_W, C_CB + 2);
    -- c_nx is an image column (c_nx <= W - 1), kept beside it: the read address is c_nx
    -- or the merge's c_nxm by a register, not by the decision's compares
    signal c_img   : std_logic := '1';
    -- windows not further apart than wide (c_nx = sc + 1 always): c_nx = cinfo.chi (the
    -- next shift completes the window) and sc = cinfo.chi (the window's columns are in)
    -- as registers, so the decision does not wait for a comparator; each next value is
    -- compared from registers and constants beside the decision, which only chooses
    constant C_CHI0 : integer := C_K - 1 - C_P;  -- cinfo.chi at a row's start
    -- c_at / s_at at a row's start afresh (c_nx = 0)
    constant C_CAT0 : std_logic := pcnn_sl(C_CHI0 = 0);
    constant C_SAT0 : std_logic := pcnn_sl(C_CHI0 = -1);
    signal c_at     : std_logic := C_CAT0;
    signal s_at     : std_logic := C_SAT0;
    -- c_at / s_at after a token: a shift without an emit (na), an emit inside the row
    -- without / with a shift (e0 / e1: the window moves S on), a row change carrying the
    -- merge without / with a shift (m0 / m1)
    signal at_na                          : std_logic;
    signal at_ea0, at_eb0, at_ea1, at_eb1 : std_logic;
    signal at_ma0, at_mb0, at_ma1, at_mb1 : std_logic;

    -- decision of this clock (from registers only): a token (shift a column in and/or
    -- emit the window), whether it reads the memories (at d_addr, rows of the next output
    -- row when d_nxt), whether it gives up the merge; d_c: sc after it
    signal d_iss, d_shift, d_emit, d_read, d_nxt, d_brk : std_logic;
    -- the decision moves the column on (d_c1 = c + 1), else it stays (d_c1 = c_nx)
    signal d_adv                                        : std_logic;
    signal d_addr                                       : unsigned(C_XB - 1 downto 0) := (others => '0');
    signal d_c                                          : signed(C_CB - 1 downto 0) := (others => '0');
    -- d_c + 1 and d_c + 1 - (W + D), formed from registers beside the decision
    signal d_c1, d_c1m                                  : signed(C_CB - 1 downto 0) := (others => '0');
    -- d_c1 - 2 (W + D) (c_nxm after a merge)
    signal d_c1mm                                       : signed(C_CB - 1 downto 0) := (others => '0');
    -- d_c - (W + D), formed from registers beside the decision (the merge's new column)
    signal d_cm                                         : signed(C_CB - 1 downto 0) := (others => '0');
    -- d_c >= W + D, formed beside the decision (no comparator after it)
    signal d_cge                                        : boolean;
    -- the writer may write: e < rinfo.lor, and for short rows not into the row of the
    -- token in flight (e < b_lor); one LUT after registers
    signal write_ok                                     : std_logic;
    -- the comparisons of e and e + 1 with rinfo.lor (x), nlor (y) and b_lor (z), as
    -- registers: e moves by one row at most, so each next value is the other one or a
    -- comparison of e + 2 (or, at the reader's row change, of e .. e + 2 with ny, a
    -- register) chosen by the moves; the comparators sit beside the choice
    signal ck_x1                                        : boolean := C_CKX1;
    signal ck_x2                                        : boolean := C_CKX2;
    signal ck_y1                                        : boolean := C_CKY1;
    signal ck_y2                                        : boolean := C_CKY2;
    signal ck_z1, ck_z2                                 : boolean := false;
    signal cx3, cy3, cz3, cn1, cn2, cn3                 : boolean;
    -- e + 1, e + 2, kept beside e; ninfo.lor (+ H while the reader is on its image's last
    -- output row: then the next output row's rows are counted from the next image)
    signal e1                                           : signed(C_HB - 1 downto 0) := to_signed(1, C_HB);
    signal e2                                           : signed(C_HB - 1 downto 0) := to_signed(2, C_HB);
    signal nlor                                         : signed(C_HB - 1 downto 0) := C_NLOR0;
    -- nlor at the next row change, counted from the reader's image now (ny_of), and
    -- nrow_ls + S, from which its next value is formed
    signal ny                                           : hrow_t := C_NY0;
    signal nrow_l2                                      : signed(C_L2B - 1 downto 0) := to_signed(next_rl0 + 2 * C_S, C_L2B);
    -- resize(nrow_l2, C_RB) + K - 1 and + R, kept beside it (row_info_pre's rk, rr)
    signal nk2                                          : signed(C_RB - 1 downto 0) := C_NK20;
    signal nr2                                          : signed(C_RB - 1 downto 0) := C_NR20;
    signal a_can, w_free, wen, ren                      : std_logic;

    -- token in flight (its column is at the memories' read registers q)
    signal b_valid, b_shift, b_emit, b_last : std_logic := '0';
    signal b_rok, b_cok                     : std_logic_vector(C_K - 1 downto 0) := (others => '0');
    -- the row slot each window row reads, one-hot like rs / nrs: the window's new column
    -- is an AND-OR of the slots' words (two LUT levels for up to eight slots, not a
    -- binary multiplexer)
    signal b_sel                            : slots_oh_t := (others => (others => '0'));
    signal q                                : pixels_t := (others => (others => '0'));
    signal b_addr                           : unsigned(C_XB - 1 downto 0) := (others => '0');
    signal b_lor                            : signed(C_EB - 1 downto 0) := (others => '0');
    -- short rows: the registered read address stays a register in front of the memory
    -- (merged into the read port, the decision would run through the memory's read)
    attribute keep           : boolean;
    attribute keep of b_addr : signal is true;

    -- window register (element ky*K+kx) and the masks of the window it shows; data
    -- registers start at 0 (no reset needed)
    signal win   : std_logic_vector(m_data'range) := (others => '0');
    signal o_rok : std_logic_vector(C_K - 1 downto 0) := (others => '0');
    signal o_cok : std_logic_vector(C_K - 1 downto 0) := (others => '0');
  begin

    m_valid <= m_valid_r;

    -- one memory per row slot: written at the writer's column, read at the reader's
    g_mem : for s in 0 to C_R - 1 generate
      type   mem_t is array (0 to C_W - 1) of pixel_t;
      signal mem : mem_t := (others => (others => '0'));
    begin
      p_wr : process (clk)
      begin
        if rising_edge(clk) then
          if wen = '1' and wslot = s then
            mem(to_integer(wx)) <= s_data;
          end if;
        end if;
      end process;

      -- long rows: a registered read (block RAM)
      g_sync : if C_SYNC generate
        p_rd : process (clk)
        begin
          if rising_edge(clk) then
            if ren = '1' then
              q(s) <= mem(to_integer(d_addr));
            end if;
          end if;
        end process;
      end generate g_sync;

      -- short rows: a registered address (LUT RAM or flip-flops, no data register)
      g_async : if not C_SYNC generate
        q(s) <= mem(to_integer(b_addr));
      end generate g_async;
    end generate g_mem;

    p_addr : process (clk)
    begin
      if rising_edge(clk) then
        if ren = '1' then
          b_addr <= d_addr;
        end if;
      end if;
    end process;

    -- padding: a tap outside the image shows the pad byte
    g_mask : if C_P > 0 generate
      p_out : process (all)
        variable lo : natural;
      begin
        for ky in 0 to C_K - 1 loop
          for kx in 0 to C_K - 1 loop
            lo := (ky * C_K + kx) * C_PIX_W;
            if o_rok(ky) = '1' and o_cok(kx) = '1' then
              m_data(lo + C_PIX_W - 1 downto lo) <= win(lo + C_PIX_W - 1 downto lo);
            else
              m_data(lo + C_PIX_W - 1 downto lo) <= C_PADPX;
            end if;
          end loop;
        end loop;
      end process;
    end generate g_mask;

    g_nomask : if C_P = 0 generate
      m_data <= win;
    end generate g_nomask;

    -- the window register may change: its window is taken or there is none
    w_free   <= (not m_valid_r) or m_ready;
    -- a new token may be issued: the one in flight moves on (or there is none)
    a_can    <= (not b_valid) or w_free;
    -- e + 2 against the rows the checks may move to without a row change: the reader's
    -- first row needed (+ R), the next output row's (after the reader's image change:
    -- + H), the token in flight's; e .. e + 2 against the next row change's (ny)
    p_wo : process (all)
      variable ew : hrow_t;
    begin
      ew  := resize(e, C_HB);
      cx3 <= pcnn_lt_g(e2, resize(rinfo.lor, C_HB));
      cy3 <= pcnn_lt_g(e2, nlor);
      cz3 <= pcnn_lt_g(e2, resize(b_lor, C_HB));
      cn1 <= pcnn_lt_g(ew, ny);
      cn2 <= pcnn_lt_g(e1, ny);
      cn3 <= pcnn_lt_g(e2, ny);
    end process;
    write_ok <= pcnn_sl(ck_x1 and (C_SYNC or b_valid = '0' or ck_z1));
    -- writing row e overwrites row e - R: allowed if the reader's output row needs it no
    -- more, nor (short rows: read at b_addr until it moves on) the token in flight
    s_ready  <= write_ok;
    wen      <= s_valid and write_ok;
    ren      <= a_can and d_iss and d_read;

    -- the next values of c_at / s_at, from registers and constants (C_S <= C_K)
    p_at : process (all)
    begin
      -- equalities of registers, no subtractor: cq(1) = c_nx + 1, sc = c_nx - 1 and
      -- cinfo_n.chi = cinfo.chi + S (where the flags are read: C_S <= C_K)
      at_na  <= pcnn_sl(cq(1) = resize(cinfo.chi, C_CB + 2));   -- c_nx - chi = -1
      at_ea0 <= pcnn_sl(c_nx = cinfo_n.chi);                    -- = S
      at_eb0 <= pcnn_sl(sc = cinfo_n.chi);                      -- = S + 1
      at_ea1 <= pcnn_sl(cq(1) = resize(cinfo_n.chi, C_CB + 2)); -- = S - 1
      at_eb1 <= pcnn_sl(c_nx = cinfo_n.chi);                    -- = S
      at_ma0 <= pcnn_sl(c_nx = to_signed(C_CHI0 + C_W + C_D, C_CB));
      at_mb0 <= pcnn_sl(c_nx = to_signed(C_CHI0 + 1 + C_W + C_D, C_CB));
      at_ma1 <= pcnn_sl(c_nx = to_signed(C_CHI0 - 1 + C_W + C_D, C_CB));
      at_mb1 <= pcnn_sl(c_nx = to_signed(C_CHI0 + C_W + C_D, C_CB));
    end process;

    -- Next token (from registers only).
    p_dec : process (all)
      variable c, j    : signed(C_CB - 1 downto 0);
      variable c1, c1m : signed(C_CB - 1 downto 0);
      variable c1mm    : signed(C_CB - 1 downto 0);
      variable cge     : boolean;
      variable img     : boolean;
    begin
      -- every sum from one register and a constant (none after another)
      c   := c_nx;
      c1  := c_nx + 1;
      c1m := c_nx + to_signed(1 - C_W - C_D, C_CB);
      c1mm := c_nx + to_signed(1 - 2 * (C_W + C_D), C_CB);
      j   := c_nxm;
      -- windows further apart than they are wide: skip the columns between them
      if C_S > C_K and c < col_lo then
        c   := col_lo;
        c1  := col_lo + 1;
        c1m := col_lo + to_signed(1 - C_W - C_D, C_CB);
        c1mm := col_lo + to_signed(1 - 2 * (C_W + C_D), C_CB);
        j   := col_lo - to_signed(C_W + C_D, C_CB);
      end if;
      cge := c >= to_signed(C_W + C_D, C_CB);  -- j >= 0, without the subtraction
      -- windows not further apart than wide: j = c_nxm, so that is its sign bit
      if C_S <= C_K then
        cge := c_nxm(C_CB - 1) = '0';
      end if;
      -- windows not further apart than wide: whether c is an image column is a register
      img := c <= to_signed(C_W - 1, C_CB);
      if C_S <= C_K then
        img := c_img = '1';
      end if;
      t_c <= c;
      t_j <= j;
      d_iss   <= '0';
      d_shift <= '0';
      d_emit  <= '0';
      d_read  <= '0';
      d_nxt   <= '0';
      d_brk   <= '0';
      d_adv   <= '0';
      d_addr  <= (others => '0');
      d_c     <= sc;
      d_c1    <= c_nx;
      d_c1m   <= c_nxm;
      d_c1mm  <= c_nxm - to_signed(C_W + C_D, C_CB);
      d_cm    <= sc - to_signed(C_W + C_D, C_CB);
      d_cge   <= sc >= to_signed(C_W + C_D, C_CB);
      if C_NONE and (rinfo.none = '1' or cinfo.none = '1') then
        -- needs no pixel: leave once the writer is in this image (no window runs ahead)
        if w_st = '1' then
          d_iss  <= '1';
          d_emit <= '1';
        end if;
      elsif (C_S <= C_K and s_at = '1') or (C_S > C_K and sc = cinfo.chi) then
        -- the window's columns are in (or on their way): emit without a shift
        d_iss  <= '1';
        d_emit <= '1';
      else
        d_adv <= '1';
        d_c   <= c;
        d_c1  <= c1;
        d_c1m <= c1m;
        d_c1mm <= c1mm;
        d_cm  <= j;
        d_cge <= cge;
        if (C_S <= C_K and c_at = '1') or (C_S > C_K and c = cinfo.chi) then
          d_emit <= '1';
        end if;
        if img then
          -- an image column: read it once the writer has written it in the last row needed
          d_addr <= resize(unsigned(c), C_XB);
          if f1 = '1' then
            d_iss   <= '1';
            d_shift <= '1';
            d_read  <= '1';
          end if;
        elsif C_MERGE and cge and mgood = '1' and (not C_NONE or ninfo.none = '0') then
          -- a right padding column: carry column j of the next output row
          d_addr <= resize(unsigned(j), C_XB);
          if f2 = '1' then
            d_iss   <= '1';
            d_shift <= '1';
            d_read  <= '1';
            d_nxt   <= '1';
          elsif not C_WAIT or nwrap = '1' then
            d_iss   <= '1';
            d_shift <= '1';
            d_brk   <= '1';
          end if;
        else
          -- a right padding column left empty
          d_iss   <= '1';
          d_shift <= '1';
          if cge then
            d_brk <= '1';
          end if;
        end if;
      end if;
      -- windows not further apart than wide: the address by c_img alone (it is only
      -- used by a read, and a read is of c_nx when that is an image column, else of j)
      if C_S <= C_K then
        if c_img = '1' then
          d_addr <= resize(unsigned(c_nx), C_XB);
        else
          d_addr <= resize(unsigned(c_nxm), C_XB);
        end if;
      end if;
    end process;

    -- The checks for the next clock (from registers, beside the decision; it only
    -- chooses among them).
    p_flags : process (all)
      variable rc     : boolean;                   -- a token here changes the row
      variable cn, jn : signed(C_CB - 1 downto 0); -- c_nx, c_nxm after a token
      variable cl     : signed(C_CB - 1 downto 0); -- col_lo after a token
      variable h1, h2 : hrow_t;                    -- rows of the checks after a token
      variable hn     : hrow_t;                    -- last row needed by the row after next
      variable rh, nh : hrow_t;
      -- the reader's columns after every move (no skip: c = c_nx, j = c_nxm = c - (W + D))
      variable pa, pb, pc, pd, pf, pg : std_logic;
    begin
      rh := resize(rinfo.hi, C_HB);
      nh := resize(ninfo.hi, C_HB);
      -- the row after the next output row, counted from the reader's image
      if (C_HO = 1 and oy = C_HO - 1) or (C_HO > 1 and oy = C_HO - 2) then
        hn := resize(C_NIW.hi, C_HB);
      else
        hn := resize(ri_ls.hi, C_HB);
      end if;
      if oy = C_HO - 1 then
        hn := hn + C_H;
      end if;
      rc := d_emit = '1' and ox = C_WO - 1;
      -- a row change afresh: column 0 of the next output row (f2 is not looked at)
      fd1 <= past_next(e, wx, wen, nh, to_signed(0, C_CB));
      if C_S > C_K then
        -- windows skip columns: the columns after a token, then the skip, then the checks
        pk  <= (others => '0');
        fa1 <= past_next(e, wx, wen, rh, t_c);
        fa2 <= past_next(e, wx, wen, nh, t_j);
        if rc then
          -- a row change carrying the merge: the next row's columns, its rows
          cn := d_c1m;
          jn := d_c1mm;
          cl := to_signed(-C_P, C_CB);
          h1 := nh;
          h2 := hn;
        else
          cn := d_c1;
          jn := d_c1m;
          cl := col_lo;
          if d_emit = '1' then
            cl := col_ls;
          end if;
          h1 := rh;
          h2 := nh;
        end if;
        if cn < cl then
          cn := cl;
          jn := cl - to_signed(C_W + C_D, C_CB);
        end if;
        fb1 <= past_next(e, wx, wen, h1, cn);
        fb2 <= past_next(e, wx, wen, h2, jn);
      else
        -- every target from a register and a constant; the moves only choose
        pa := past_next(e, wx, wen, rh, cq(0));
        pb := past_next(e, wx, wen, rh, cq(1));
        pc := past_next(e, wx, wen, nh, cq(2));
        pd := past_next(e, wx, wen, nh, cq(3));
        pf := '0';
        pg := '0';
        if C_F2RC then
          pf := past_next(e, wx, wen, hn, cq(4));
          pg := past_next(e, wx, wen, hn, cq(5));
        end if;
        pk  <= (pa, pb, pc, pd, pf, pg);
        fa1 <= pa;
        fa2 <= pc;
        if C_MERGE and rc and d_adv = '1' then
          fb1 <= pd;
          fb2 <= pf;
        elsif C_MERGE and rc then
          fb1 <= pc;
          fb2 <= pg;
        elsif d_adv = '1' then
          fb1 <= pb;
          fb2 <= pd;
        else
          fb1 <= pa;
          fb2 <= pc;
        end if;
      end if;
    end process;

    -- the choice of the next f1 / f2 among the checks (windows not further apart than
    -- wide: p_main takes the AND-OR of fsel and pk)
    p_fsel : process (all)
      variable fd, mr, bk : boolean;
    begin
      -- a token that changes the row afresh (fd), one that carries the merge (mr)
      fd := a_can = '1' and d_iss = '1' and d_emit = '1' and ox = C_WO - 1 and
        not (C_MERGE and mgood = '1' and d_brk = '0' and d_cge);
      mr := C_MERGE and d_emit = '1' and ox = C_WO - 1;
      bk := a_can = '1' and d_iss = '1' and not fd;
      fsel(0) <= pcnn_sl(not (a_can = '1' and d_iss = '1') or (bk and not mr and d_adv = '0'));
      fsel(1) <= pcnn_sl(bk and not mr and d_adv = '1');
      fsel(2) <= pcnn_sl(bk and mr and d_adv = '0');
      fsel(3) <= pcnn_sl(bk and mr and d_adv = '1');
      fsel(4) <= pcnn_sl(fd);
    end process;

    p_main : process (clk)
      variable iss   : boolean;
      variable e_inc : boolean;
      variable e_n   : signed(C_EB - 1 downto 0);
      variable blr_n : signed(C_EB - 1 downto 0);
      variable bv_n  : std_logic;
      variable e_drp : boolean;
      variable rcv   : boolean;
      variable w_inc : boolean;
      variable wnz_v : std_logic;
      variable cl_v  : signed(C_CB - 1 downto 0);
      variable nrl_v : signed(C_RB - 1 downto 0);
      variable sc_v  : signed(C_CB - 1 downto 0);
      variable c1_v  : signed(C_CB - 1 downto 0);
      variable c1m_v : signed(C_CB - 1 downto 0);
      variable mg_v  : std_logic;
      variable oy_v  : natural range 0 to C_HO - 1;
      variable lo    : natural;
      variable px    : pixel_t;
    begin
      if rising_edge(clk) then
        iss := a_can = '1' and d_iss = '1';

        -- window register: the token in flight shifts its column in and/or shows the window
        if m_ready = '1' then
          m_valid_r <= '0';
        end if;
        if b_valid = '1' and w_free = '1' then
          if b_shift = '1' then
            for ky in 0 to C_K - 1 loop
              for kx in 0 to C_K - 2 loop
                lo := (ky * C_K + kx) * C_PIX_W;
                win(lo + C_PIX_W - 1 downto lo) <= win(lo + 2 * C_PIX_W - 1 downto lo + C_PIX_W);
              end loop;
              lo := (ky * C_K + C_K - 1) * C_PIX_W;
              px := (others => '0');
              for sl in 0 to C_R - 1 loop
                if b_sel(ky)(sl) = '1' then
                  px := px or q(sl);
                end if;
              end loop;
              win(lo + C_PIX_W - 1 downto lo) <= px;
            end loop;
          end if;
          if b_emit = '1' then
            m_valid_r <= '1';
            m_last    <= b_last;
            o_rok     <= b_rok;
            o_cok     <= b_cok;
          end if;
        end if;
        bv_n  := b_valid;
        blr_n := b_lor;
        if a_can = '1' then
          bv_n := '0';
        end if;

        -- reader: issue the token, move on
        if iss then
          bv_n    := '1';
          b_shift <= d_shift;
          b_emit  <= d_emit;
          b_rok   <= rinfo.ok;
          blr_n   := rinfo.lor;
          b_cok   <= cinfo.ok;
          b_last  <= '0';
          if oy = C_HO - 1 and ox = C_WO - 1 then
            b_last <= '1';
            if d_emit = '1' then
              -- the reader moves to the next image: e drops by H, so does b_lor
              blr_n := rinfo.lor - C_H;
            end if;
          end if;
          if d_nxt = '1' then
            b_sel <= nrs;
          else
            b_sel <= rs;
          end if;
        end if;

        -- writer
        e_inc := false;
        e_drp := false;
        w_inc := false;
        wnz_v := wnz;
        if wen = '1' then
          wnz_v := '1';
          if wx = C_W - 1 and wy = C_H - 1 then
            w_inc := true;
            wnz_v := '0';
          end if;
          if wx = C_W - 1 then
            wx    <= (others => '0');
            wslot <= slot_add(wslot, 1);
            e_inc := true;
            if wy = C_H - 1 then
              wy <= (others => '0');
            else
              wy <= wy + 1;
            end if;
          else
            wx <= wx + 1;
          end if;
        end if;

        -- reader position and everything derived from it
        if iss then
          sc_v  := d_c;
          c1_v  := d_c1;
          c1m_v := d_c1m;
          mg_v  := mgood and not d_brk;
          if d_emit = '1' then
            if ox = C_WO - 1 then
              -- next output row: its first columns are in if the merge held
              ox   <= 0;
              cl_v := to_signed(-C_P, C_CB);
              if C_MERGE and mg_v = '1' and d_cge then
                sc_v  := d_cm;
                c1_v  := d_c1m;
                c1m_v := d_c1mm;
                if d_adv = '1' then
                  c_at <= at_ma1;
                  s_at <= at_mb1;
                else
                  c_at <= at_ma0;
                  s_at <= at_mb0;
                end if;
              else
                sc_v  := to_signed(-1, C_CB);
                c1_v  := to_signed(0, C_CB);
                c1m_v := to_signed(-C_W - C_D, C_CB);
                c_at  <= C_CAT0;
                s_at  <= C_SAT0;
              end if;
              mg_v := '1';
              if oy = C_HO - 1 then
                oy_v := 0;
                e_drp := true;
              else
                oy_v := oy + 1;
              end if;
              oy    <= oy_v;
              rinfo <= row_info(nrow_lo, false);
              rs    <= nrs;
              if oy_v = C_HO - 1 then
                -- row 0 of the next image: its row info is a constant
                nrl_v := to_signed(-C_P, C_RB);
                nwrap <= '1';
                ninfo <= C_NIW;
                nlor  <= resize(C_NIW.lor, C_HB) + C_H;
                for ky in 0 to C_K - 1 loop
                  nrs(ky) <= slot_oh_add(nrs(ky), C_ROFF);
                end loop;
              else
                nrl_v := nrow_ls;
                nwrap <= '0';
                ninfo <= ri_ls;
                nlor  <= resize(ri_ls.lor, C_HB);
                for ky in 0 to C_K - 1 loop
                  nrs(ky) <= slot_oh_add(nrs(ky), C_S);
                end loop;
              end if;
              nrow_lo <= nrl_v;
              nrow_ls <= nrl_v + C_S;
              if oy_v = C_HO - 1 then
                ri_ls   <= C_RW1;
                nrow_l2 <= to_signed(2 * C_S - C_P, C_L2B);
                nk2     <= l2_plus(2 * C_S - C_P, C_K - 1);
                nr2     <= l2_plus(2 * C_S - C_P, C_R);
                ny      <= ny_of(oy_v, to_signed(C_S - C_P, C_RB));
              else
                ri_ls   <= row_info_pre(resize(nrow_l2, C_RB), nk2, nr2, true);
                nrow_l2 <= nrow_l2 + C_S;
                nk2     <= nk2 + C_S;
                nr2     <= nr2 + C_S;
                -- ny_of(oy_v, nrow_l2) (oy_v /= HO - 1 here: no image drop), its adder
                -- already done in nr2
                if oy_v = C_HO - 2 then
                  ny <= resize(C_NIW.lor, C_HB) + C_H;
                elsif nrow_l2(C_L2B - 1) = '1' then
                  ny <= to_signed(C_R, C_HB);
                elsif pcnn_lt_g(to_signed(C_H - 1, C_L2B), nrow_l2) then
                  ny <= to_signed(C_H + C_R, C_HB);
                else
                  ny <= resize(nr2, C_HB);
                end if;
              end if;
            else
              ox   <= ox + 1;
              cl_v := col_ls;
              if d_adv = '1' then
                c_at <= at_ea1;
                s_at <= at_eb1;
              else
                c_at <= at_ea0;
                s_at <= at_eb0;
              end if;
            end if;
            col_lo <= cl_v;
            if ox = C_WO - 1 then
              col_ls  <= to_signed(C_S - C_P, C_CB);
              cinfo   <= C_CI0;
              cinfo_n <= C_CI1;
            else
              col_ls  <= col_ls + C_S;
              cinfo   <= cinfo_n;
              cinfo_n <= col_info(col_ls + C_S);
            end if;
          else
            c_at <= at_na;
            s_at <= c_at;
          end if;
          sc    <= sc_v;
          c_nx  <= c1_v;
          c_nxm <= c1m_v;
          mgood <= mg_v;
        end if;
        -- the checks of the next clock: the decision chooses among the flags formed, and
        -- the check columns move with c_nx (+ 1 on a shift, - (W + D) with the merge, the
        -- offsets alone afresh)
        if C_S <= C_K then
          f1 <= (fsel(0) and pk(0)) or (fsel(1) and pk(1)) or (fsel(2) and pk(2)) or
            (fsel(3) and pk(3)) or (fsel(4) and fd1);
          f2 <= (fsel(0) and pk(2)) or (fsel(1) and pk(3)) or (fsel(2) and pk(5)) or
            (fsel(3) and pk(4));
        end if;
        if not iss then
          if C_S > C_K then
            f1 <= fa1;
            f2 <= fa2;
          end if;
        elsif d_emit = '1' and ox = C_WO - 1 and
              not (C_MERGE and mgood = '1' and d_brk = '0' and d_cge) then
          if C_S > C_K then
            f1 <= fd1;
            f2 <= '0';
          end if;
          cq    <= C_CQ0;
          c_img <= '1';
        else
          if C_S > C_K then
            f1 <= fb1;
            f2 <= fb2;
          end if;
          for i in 0 to 5 loop
            if d_emit = '1' and ox = C_WO - 1 then
              if d_adv = '1' then
                cq(i) <= cq(i) + (1 - C_M);
              else
                cq(i) <= cq(i) - C_M;
              end if;
            elsif d_adv = '1' then
              cq(i) <= cq(i) + 1;
            end if;
          end loop;
          -- cq(1) = c_nx + 1, cq(2) = c_nx - M, cq(3) = c_nx + 1 - M; c_img: below W (gates)
          if d_emit = '1' and ox = C_WO - 1 then
            if d_adv = '1' then
              c_img <= pcnn_sl(pcnn_lt_g(cq(3), C_QW));
            else
              c_img <= pcnn_sl(pcnn_lt_g(cq(2), C_QW));
            end if;
          elsif d_adv = '1' then
            c_img <= pcnn_sl(pcnn_lt_g(cq(1), C_QW));
          end if;
        end if;
        -- wk, w_st: both outcomes of the reader's image change formed first, e_drp chooses
        -- (wk after the writer's step: wk + 1 with a new image, its pixel count then 0)
        if w_inc and not e_drp then
          wk <= wk + 1;
        elsif e_drp and not w_inc then
          wk <= wk - 1;
        end if;
        wnz <= wnz_v;
        if w_inc and e_drp then
          w_st <= pcnn_sl(wk >= 1);
        elsif w_inc then
          w_st <= pcnn_sl(wk >= 0);
        elsif e_drp then
          w_st <= pcnn_sl(wk > 1 or (wk = 1 and wnz_v = '1'));
        else
          w_st <= pcnn_sl(wk > 0 or (wk = 0 and wnz_v = '1'));
        end if;
        -- e: the sums are formed from e alone, the decisions only choose one
        if e_inc and e_drp then
          e_n := e + to_signed(1 - C_H, C_EB);
          e1  <= resize(e, C_HB) + (2 - C_H);
          e2  <= resize(e, C_HB) + (3 - C_H);
        elsif e_inc then
          e_n := e + 1;
          e1  <= resize(e, C_HB) + 2;
          e2  <= resize(e, C_HB) + 3;
        elsif e_drp then
          e_n := e - to_signed(C_H, C_EB);
          e1  <= resize(e, C_HB) + (1 - C_H);
          e2  <= resize(e, C_HB) + (2 - C_H);
        else
          e_n := e;
        end if;
        e       <= e_n;
        b_valid <= bv_n;
        b_lor   <= blr_n;
        -- the writer's checks after this clock: e + e_inc against the rows after it (at
        -- the reader's image change e and the rows drop by H together); a row change
        -- moves nlor's checks to rinfo.lor's and ny's to nlor's, an issue rinfo.lor's to
        -- b_lor's
        rcv := iss and d_emit = '1' and ox = C_WO - 1;
        if rcv and e_inc then
          ck_x1 <= ck_y2;
          ck_x2 <= cy3;
          ck_y1 <= cn2;
          ck_y2 <= cn3;
        elsif rcv then
          ck_x1 <= ck_y1;
          ck_x2 <= ck_y2;
          ck_y1 <= cn1;
          ck_y2 <= cn2;
        elsif e_inc then
          ck_x1 <= ck_x2;
          ck_x2 <= cx3;
          ck_y1 <= ck_y2;
          ck_y2 <= cy3;
        end if;
        if iss and e_inc then
          ck_z1 <= ck_x2;
          ck_z2 <= cx3;
        elsif iss then
          ck_z1 <= ck_x1;
          ck_z2 <= ck_x2;
        elsif e_inc then
          ck_z1 <= ck_z2;
          ck_z2 <= cz3;
        end if;

        if rst = '1' then
          wy        <= (others => '0');
          wx        <= (others => '0');
          wslot     <= (others => '0');
          e         <= (others => '0');
          e1        <= to_signed(1, C_HB);
          e2        <= to_signed(2, C_HB);
          nlor      <= C_NLOR0;
          ny        <= C_NY0;
          nrow_l2   <= to_signed(next_rl0 + 2 * C_S, C_L2B);
          nk2       <= C_NK20;
          nr2       <= C_NR20;
          ck_x1     <= C_CKX1;
          ck_x2     <= C_CKX2;
          ck_y1     <= C_CKY1;
          ck_y2     <= C_CKY2;
          wk        <= 0;
          wnz       <= '0';
          w_st      <= '0';
          f1        <= '0';
          f2        <= '0';
          cq        <= C_CQ0;
          c_img     <= '1';
          oy        <= 0;
          ox        <= 0;
          col_lo    <= to_signed(-C_P, C_CB);
          col_ls    <= to_signed(C_S - C_P, C_CB);
          cinfo_n   <= C_CI1;
          rinfo     <= C_RI0;
          rs        <= C_RS0;
          cinfo     <= C_CI0;
          nrow_lo   <= to_signed(next_rl0, C_RB);
          nrow_ls   <= to_signed(next_rl0 + C_S, C_RB);
          ri_ls     <= C_RL1;
          nwrap     <= '1' when C_NXT0 else '0';
          ninfo     <= C_NI0;
          nrs       <= C_NRS0;
          sc        <= to_signed(-1, C_CB);
          c_nx      <= to_signed(0, C_CB);
          c_at      <= C_CAT0;
          s_at      <= C_SAT0;
          c_nxm     <= to_signed(-C_W - C_D, C_CB);
          mgood     <= '1';
          b_valid   <= '0';
          m_valid_r <= '0';
          m_last    <= '0';
          o_rok     <= (others => '0');
          o_cok     <= (others => '0');
        end if;
      end if;
    end process;

    -- simulation only (ghdl --synth --no-formal drops it): the check columns cq track
    -- c_nx (cq(i) = c_nx + C_OFF(i)) where the decision's flags read them (windows not
    -- further apart than wide)
    p_cq_check : process (clk)
    begin
      if rising_edge(clk) then
        for i in 0 to 5 loop
          assert rst = '1' or C_S > C_K or cq(i) = resize(c_nx, C_CB + 2) + C_OFF(i)
            report "pcnn_window: a check column left c_nx" severity failure;
        end loop;
        assert rst = '1' or C_S > C_K or resize(sc, C_CB + 1) + 1 = resize(c_nx, C_CB + 1)
          report "pcnn_window: sc left c_nx - 1" severity failure;
        assert rst = '1' or resize(cinfo_n.chi, C_CB + 1) = resize(cinfo.chi, C_CB + 1) + C_S
          report "pcnn_window: cinfo_n.chi left cinfo.chi + S" severity failure;
        assert rst = '1' or C_S > C_K or (c_at = '1') = (c_nx = cinfo.chi)
          report "pcnn_window: c_at left c_nx = cinfo.chi" severity failure;
        assert rst = '1' or C_S > C_K or (s_at = '1') = (sc = cinfo.chi)
          report "pcnn_window: s_at left sc = cinfo.chi" severity failure;
        assert rst = '1' or (col_ls = col_lo + C_S and cinfo = col_info(col_lo) and
                             cinfo_n = col_info(col_ls))
          report "pcnn_window: the column info left col_lo" severity failure;
        assert rst = '1' or c_nxm = c_nx - to_signed(C_W + C_D, C_CB)
          report "pcnn_window: c_nxm left c_nx - (W + D)" severity failure;
        assert rst = '1' or (ck_x1 = (resize(e, C_HB) < resize(rinfo.lor, C_HB)) and
                             ck_x2 = (e1 < resize(rinfo.lor, C_HB)) and
                             ck_y1 = (resize(e, C_HB) < nlor) and ck_y2 = (e1 < nlor))
          report "pcnn_window: a writer's check left e" severity failure;
        assert rst = '1' or b_valid = '0' or
               (ck_z1 = (resize(e, C_HB) < resize(b_lor, C_HB)) and
                ck_z2 = (e1 < resize(b_lor, C_HB)))
          report "pcnn_window: a writer's check left b_lor" severity failure;
        assert rst = '1' or (e1 = resize(e, C_HB) + 1 and e2 = resize(e, C_HB) + 2 and
                             nrow_l2 = resize(nrow_ls, C_L2B) + C_S and ny = ny_of(oy, nrow_ls))
          report "pcnn_window: e1, e2, nrow_l2 or ny left their sources" severity failure;
        assert rst = '1' or ri_ls = row_info(nrow_ls, false)
          report "pcnn_window: ri_ls left its row" severity failure;
        assert rst = '1' or (nk2 = resize(nrow_l2, C_RB) + (C_K - 1) and
                             nr2 = resize(nrow_l2, C_RB) + C_R and
                             row_info_pre(resize(nrow_l2, C_RB), nk2, nr2, true) =
                             row_info(resize(nrow_l2, C_RB), false))
          report "pcnn_window: nk2 or nr2 left nrow_l2" severity failure;
      end if;
    end process;
  end generate g_lines;

end architecture rtl;

-- pcnn_maxpool_line: max-pool of windows that do not overlap (stride >= kernel, no
-- padding, floor mode) straight on the pixel stream, without a window generator.
-- Input: one pixel (G_CHANNELS int8 bytes) per beat, raster order, images back to back
-- (count-based framing). Output: one pooled pixel per beat in raster order, m_last on
-- the last one of an image. Pixels outside every window (stride gaps, the rows and
-- columns past the last window) are taken and dropped.
-- Per channel one register b holds the maximum so far of the window the pixel belongs
-- to, and each pixel is compared with b alone: nothing but the comparator and a 2:1
-- select stand between b (or s_data) and the registers it feeds. b is loaded in
-- advance, at the pixel before a window's first column: with the maximum of the
-- window rows above, kept per output column in a line memory of Wo pixels (written at
-- the window's last column), or with the smallest value at a window's first row. The
-- line is read at the next window's column from the clock after the current window
-- starts (block RAM where it is long, LUT RAM or flip-flops where it is short), so
-- its registered read is ready by the load; with one output column the line is one
-- register and the load takes the maximum written in the same clock. Values are held
-- offset by 128 (sign bit inverted) so that the smallest is zero and the compare is
-- unsigned. A window's last pixel puts its maximum straight into the output register,
-- or into a spare register behind it while that is held (two results held at most);
-- s_ready is a register: low only while both stay full and the next pixel is a
-- window's last, so with windows of two or more columns one pixel moves per clock
-- whenever m_ready is high. The block in front does not see this one's m_ready.
library ieee;
use ieee.std_logic_1164.all;
use ieee.numeric_std.all;

library pocket_cnn;
use pocket_cnn.pcnn_pkg.all;

entity pcnn_maxpool_line is
  generic (
    G_CHANNELS : positive; -- channels per pixel
    G_HEIGHT   : positive; -- input height
    G_WIDTH    : positive; -- input width
    G_KERNEL   : positive; -- pool window size (square; 2 or more for one pixel per clock)
    G_STRIDE   : positive  -- step between windows (>= G_KERNEL)
  );
  port (
    -- clock, synchronous reset (active high)
    clk     : in  std_logic;
    rst     : in  std_logic;
    -- input: one pixel per beat, raster order, images back to back
    s_valid : in  std_logic;
    s_ready : out std_logic;
    s_data  : in  std_logic_vector(G_CHANNELS * 8 - 1 downto 0);
    -- output: one pooled pixel per beat, m_last on the last pixel of an image
    m_valid : out std_logic;
    m_ready : in  std_logic;
    m_data  : out std_logic_vector(G_CHANNELS * 8 - 1 downto 0);
    m_last  : out std_logic
  );
end entity pcnn_maxpool_line;

architecture rtl of pcnn_maxpool_line is
  constant C_PIX_W : positive := G_CHANNELS * 8;
  constant C_K     : positive := G_KERNEL;
  constant C_S     : positive := G_STRIDE;
  constant C_HO    : positive := pcnn_conv_out(G_HEIGHT, G_KERNEL, G_STRIDE, 0);
  constant C_WO    : positive := pcnn_conv_out(G_WIDTH, G_KERNEL, G_STRIDE, 0);

  subtype pixel_t is std_logic_vector(C_PIX_W - 1 downto 0);
  type line_t is array (0 to C_WO - 1) of pixel_t;

  -- a pixel's position: column x, row y; phases px, py inside the stride; output
  -- column ox / row oy of the window it belongs to; whether its column (xin) and row
  -- (yin) are inside a window
  type pos_t is record
    x   : natural range 0 to G_WIDTH - 1;
    y   : natural range 0 to G_HEIGHT - 1;
    px  : natural range 0 to C_S - 1;
    py  : natural range 0 to C_S - 1;
    ox  : natural range 0 to C_WO - 1;
    oy  : natural range 0 to C_HO - 1;
    xin : boolean;
    yin : boolean;
  end record pos_t;

  constant C_POS0 : pos_t := (0, 0, 0, 0, 0, 0, true, true);

  -- what a position decides (registered a pixel ahead): the next pixel starts a window
  -- column (pn0); the pixel is a window's last (fin) or the last of a row above it
  -- (wr: it writes the line at column wa); the next window start after it is a first
  -- window row (zc) and reads line column ra; the window is the image's last (lw); b is
  -- loaded from the line's read register (ldq: not with one output column while it is
  -- written in the same clock)
  type flags_t is record
    pn0 : boolean;
    fin : boolean;
    wr  : boolean;
    wa  : natural range 0 to C_WO - 1;
    zc  : boolean;
    ra  : natural range 0 to C_WO - 1;
    lw  : std_logic;
    ldq : boolean;
  end record flags_t;

  -- the position after one more pixel
  function advance(p : pos_t) return pos_t is
    variable n : pos_t;
  begin
    n := p;
    if p.x = G_WIDTH - 1 then
      n.x   := 0;
      n.px  := 0;
      n.ox  := 0;
      n.xin := true;
      if p.y = G_HEIGHT - 1 then
        n.y   := 0;
        n.py  := 0;
        n.oy  := 0;
        n.yin := true;
      else
        n.y := p.y + 1;
        if p.py = C_S - 1 then
          n.py := 0;
          if p.oy /= C_HO - 1 then
            n.oy  := p.oy + 1;
            n.yin := true;
          else
            n.yin := false;
          end if;
        else
          n.py := p.py + 1;
          if p.py = C_K - 1 then
            n.yin := false;
          end if;
        end if;
      end if;
    else
      n.x := p.x + 1;
      if p.px = C_S - 1 then
        n.px := 0;
        if p.ox /= C_WO - 1 then
          n.ox  := p.ox + 1;
          n.xin := true;
        else
          n.xin := false;
        end if;
      else
        n.px := p.px + 1;
        if p.px = C_K - 1 then
          n.xin := false;
        end if;
      end if;
    end if;
    return n;
  end function;

  function flags(p : pos_t) return flags_t is
    variable f : flags_t;
  begin
    f.pn0 := p.px = C_S - 1 or p.x = G_WIDTH - 1;
    f.fin := p.xin and p.yin and p.px = C_K - 1 and p.py = C_K - 1;
    f.wr  := p.xin and p.yin and p.px = C_K - 1 and p.py /= C_K - 1;
    f.wa  := p.ox;
    -- the next window start: the next column's in this row, else the next row's first
    if p.ox = C_WO - 1 then
      f.ra := 0;
      f.zc := p.py = C_S - 1 or p.y = G_HEIGHT - 1;
    else
      f.ra := p.ox + 1;
      f.zc := p.py = 0;
    end if;
    f.lw  := '0';
    if p.ox = C_WO - 1 and p.oy = C_HO - 1 then
      f.lw := '1';
    end if;
    f.ldq := f.pn0 and not (C_WO = 1 and f.wr);
    return f;
  end function;

  -- the flags of the pixel (fl) and of the one after it (fn, at position nxt), and
  -- the position and flags after that one (pa, fa): the registers hold the position a
  -- pixel ahead, so what the line read and s_ready need after a take is a register
  signal nxt  : pos_t := advance(C_POS0);
  signal fl   : flags_t := flags(C_POS0);
  signal fn   : flags_t := flags(advance(C_POS0));
  signal pa   : pos_t;
  signal fa   : flags_t;
  -- the line's read column after this clock
  signal ra_n : natural range 0 to C_WO - 1;

  -- the window maximum so far (offset), the pixel (offset; no metavalue into the
  -- compare before the first pixel), the maximum after it
  signal b    : pixel_t := (others => '0');
  signal su   : pixel_t := (others => '0');
  signal cand : pixel_t;
  -- the maximum of the window rows above of the next window start (line read)
  signal q    : pixel_t := (others => '0');

  signal take : std_logic;
  signal rdy  : std_logic := '1';
  -- the output register (ov: it holds a pixel, o_last) and a spare result register
  -- behind it (rv, r_last: a result that came while o was held)
  signal ov     : std_logic := '0';
  signal o_last : std_logic := '0';
  signal o      : pixel_t := (others => '0');
  signal rv     : std_logic := '0';
  signal r_last : std_logic := '0';
  signal r      : pixel_t := (others => '0');

  -- v with the sign bit of every byte inverted (offset by 128 and back)
  function flip(v : pixel_t) return pixel_t is
    variable r : pixel_t;
  begin
    r := v;
    for c in 0 to G_CHANNELS - 1 loop
      r(c * 8 + 7) := not v(c * 8 + 7);
    end loop;
    return r;
  end function;
begin

  assert G_STRIDE >= G_KERNEL
    report "pcnn_maxpool_line: windows must not overlap (G_STRIDE >= G_KERNEL)"
    severity failure;

  s_ready <= rdy;
  take    <= s_valid and rdy;
  m_valid <= ov;
  m_last  <= o_last;
  m_data  <= flip(o);

  pa   <= advance(nxt);
  fa   <= flags(pa);
  ra_n <= fn.ra when take = '1' else fl.ra;

  -- one unsigned compare per channel against b; the pixel as it is until the block in
  -- front has given one (its output register may start undefined, byte by byte)
  su <= flip(s_data) when not is_x(s_data) else (others => '0');

  p_cand : process (all)
  begin
    for c in 0 to G_CHANNELS - 1 loop
      if unsigned(su(c * 8 + 7 downto c * 8)) > unsigned(b(c * 8 + 7 downto c * 8)) then
        cand(c * 8 + 7 downto c * 8) <= su(c * 8 + 7 downto c * 8);
      else
        cand(c * 8 + 7 downto c * 8) <= b(c * 8 + 7 downto c * 8);
      end if;
    end loop;
  end process;

  -- one output column: the line is one register, written at the window's last column
  g_reg : if C_WO = 1 generate
    p_line : process (clk)
    begin
      if rising_edge(clk) then
        if take = '1' and fl.wr then
          q <= cand;
        end if;
      end if;
    end process;
  end generate g_reg;

  -- a line memory of Wo pixels, read one clock ahead at the next window start's column
  g_mem : if C_WO > 1 generate
    signal line : line_t := (others => (others => '0'));
  begin
    p_wr : process (clk)
    begin
      if rising_edge(clk) then
        if take = '1' and fl.wr then
          line(fl.wa) <= cand;
        end if;
      end if;
    end process;

    p_rd : process (clk)
    begin
      if rising_edge(clk) then
        q <= line(ra_n);
      end if;
    end process;
  end generate g_mem;

  p_main : process (clk)
    variable ov_v, rv_v, fin_n : std_logic;
  begin
    if rising_edge(clk) then
      ov_v := ov and not m_ready;
      rv_v := rv;
      -- o is free after this clock: it takes the spare's result, if any
      if ov_v = '0' and rv = '1' then
        o      <= r;
        o_last <= r_last;
        ov_v   := '1';
        rv_v   := '0';
      end if;
      fin_n := '0';
      if fl.fin then
        fin_n := '1';
      end if;
      if take = '1' then
        nxt <= pa;
        fl  <= fn;
        fn  <= fa;
        -- b: the next window start's base (smallest, or the rows above), else the max
        if fl.pn0 and fl.zc then
          b <= (others => '0');
        elsif fl.ldq then
          b <= q;
        else
          b <= cand;
        end if;
        -- a window's maximum: into o if it is free, else into the spare
        if fl.fin then
          if ov_v = '0' then
            o      <= cand;
            o_last <= fl.lw;
            ov_v   := '1';
          else
            r      <= cand;
            r_last <= fl.lw;
            rv_v   := '1';
          end if;
        end if;
        fin_n := '0';
        if fn.fin then
          fin_n := '1';
        end if;
      end if;
      ov  <= ov_v;
      rv  <= rv_v;
      -- a pixel may come next clock unless it is a window's last and both stay full
      rdy <= not (ov_v and rv_v and fin_n);
      if rst = '1' then
        nxt    <= advance(C_POS0);
        fl     <= flags(C_POS0);
        fn     <= flags(advance(C_POS0));
        b      <= (others => '0');
        ov     <= '0';
        o_last <= '0';
        rv     <= '0';
        rdy    <= '1';
      end if;
    end if;
  end process;

end architecture rtl;

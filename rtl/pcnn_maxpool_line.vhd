-- pcnn_maxpool_line: max-pool of windows that do not overlap (stride >= kernel, no
-- padding, floor mode) straight on the pixel stream, without a window generator.
-- Input: one pixel (G_CHANNELS int8 bytes) per beat, raster order, images back to back
-- (count-based framing). Output: one pooled pixel per beat in raster order, m_last on
-- the last one of an image. Pixels outside every window (stride gaps, the rows and
-- columns past the last window) are taken and dropped.
-- Per channel the maximum of a window row runs in one register (h); at the last column
-- of a window row it meets the maximum of the rows above, kept per output column in a
-- line memory of Wo pixels (read at the window's first column, written at its last),
-- and the last window row sends the result out. The line memory is read a clock ahead
-- (at the next pixel's output column) into a data register: block RAM where it is long,
-- LUT RAM or flip-flops where it is short, and the compare starts at a register either
-- way. Only with one output column can that read meet the write of the clock before it
-- (the row wraps onto the column just written): then the written pixel is forwarded.
-- A finished window maximum moves from h into the output register the clock after its
-- last pixel (h is free for the next pixel then), so the results held are at most two
-- (h and the output register) and s_ready is a register: whether fewer than two are
-- held after this clock. The pixel goes into the compare straight from s_data (no
-- input slice, no multiplexer in front of the comparator), and the block in front does
-- not see this one's m_ready. One pixel per clock whenever m_ready is high.
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
    G_KERNEL   : positive; -- pool window size (square)
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
  -- a line memory is needed above kernel 1
  constant C_LINE  : boolean  := C_K > 1;

  subtype pixel_t is std_logic_vector(C_PIX_W - 1 downto 0);
  type line_t is array (0 to C_WO - 1) of pixel_t;

  -- position of the next pixel: column x, row y; phases px, py inside the stride;
  -- output column ox / row oy of the window it belongs to
  signal x  : natural range 0 to G_WIDTH - 1 := 0;
  signal y  : natural range 0 to G_HEIGHT - 1 := 0;
  signal px : natural range 0 to C_S - 1 := 0;
  signal py : natural range 0 to C_S - 1 := 0;
  signal ox : natural range 0 to C_WO - 1 := 0;
  signal oy : natural range 0 to C_HO - 1 := 0;
  -- the pixel is inside a window: its column (xin) and row (yin) are
  signal xin, yin : std_logic := '1';
  -- ox after this clock (the line's read address)
  signal ox_nxt : natural range 0 to C_WO - 1;

  -- maximum so far of the window (its rows above and its current row)
  signal h     : pixel_t := (others => '0');
  signal above : pixel_t;        -- maximum of the window rows above: line(ox)
  signal cand  : pixel_t;        -- h after this pixel
  signal wen   : std_logic;      -- the line takes cand at ox
  signal fin   : std_logic;      -- cand is the window's maximum

  -- the input
  signal take  : std_logic;
  signal rdy   : std_logic := '1';
  -- h holds a finished maximum (hv, h_last: of the image's last window) not yet in the
  -- output register o (ov: it holds one, o_last); mv: h moves into o this clock
  signal hv     : std_logic := '0';
  signal h_last : std_logic := '0';
  signal ov     : std_logic := '0';
  signal o_last : std_logic := '0';
  signal o      : pixel_t := (others => '0');
  signal mv     : std_logic;
begin

  s_ready <= rdy;
  take    <= s_valid and rdy;
  mv      <= hv and ((not ov) or m_ready);
  m_valid <= ov;
  m_last  <= o_last;
  m_data  <= o;

  -- one compare per channel: the pixel against h inside a window row, against the rows
  -- above (the line) at its first column, alone at the window's first pixel
  p_cand : process (all)
    variable base : pixel_t;
  begin
    if px = 0 then
      base := above;
    else
      base := h;
    end if;
    for c in 0 to G_CHANNELS - 1 loop
      if (px = 0 and py = 0) or
         signed(s_data(c * 8 + 7 downto c * 8)) > signed(base(c * 8 + 7 downto c * 8)) then
        cand(c * 8 + 7 downto c * 8) <= s_data(c * 8 + 7 downto c * 8);
      else
        cand(c * 8 + 7 downto c * 8) <= base(c * 8 + 7 downto c * 8);
      end if;
    end loop;
  end process;

  fin <= '1' when xin = '1' and yin = '1' and px = C_K - 1 and py = C_K - 1 else '0';
  wen <= take when xin = '1' and yin = '1' and px = C_K - 1 and py /= C_K - 1 else '0';

  g_line : if C_LINE generate
    signal line : line_t := (others => (others => '0'));
    signal q    : pixel_t := (others => '0');
  begin
    p_wr : process (clk)
    begin
      if rising_edge(clk) then
        if wen = '1' then
          line(ox) <= cand;
        end if;
      end if;
    end process;

    p_rd : process (clk)
    begin
      if rising_edge(clk) then
        q <= line(ox_nxt);
      end if;
    end process;

    -- one output column: the next pixel may read the column written this clock
    g_fwd : if C_WO = 1 generate
      signal fwd : pixel_t := (others => '0');
      signal hit : std_logic := '0';
    begin
      p_fwd : process (clk)
      begin
        if rising_edge(clk) then
          fwd <= cand;
          hit <= wen;
        end if;
      end process;
      above <= fwd when hit = '1' else q;
    end generate g_fwd;

    g_nofwd : if C_WO > 1 generate
      above <= q;
    end generate g_nofwd;
  end generate g_line;

  g_noline : if not C_LINE generate
    above <= (others => '0');
  end generate g_noline;

  -- next output column: at the end of a stride period or of a row
  p_oxn : process (all)
  begin
    ox_nxt <= ox;
    if take = '1' then
      if x = G_WIDTH - 1 then
        ox_nxt <= 0;
      elsif px = C_S - 1 and ox /= C_WO - 1 then
        ox_nxt <= ox + 1;
      end if;
    end if;
  end process;

  p_main : process (clk)
    variable hv_v, ov_v : std_logic;
  begin
    if rising_edge(clk) then
      -- the output register: read, then refilled from h
      ov_v := ov;
      if m_ready = '1' then
        ov_v := '0';
      end if;
      hv_v := hv;
      if mv = '1' then
        o      <= h;
        o_last <= h_last;
        ov_v   := '1';
        hv_v   := '0';
      end if;
      if take = '1' then
        h <= cand;
        if fin = '1' then
          hv_v   := '1';
          h_last <= '0';
          if ox = C_WO - 1 and oy = C_HO - 1 then
            h_last <= '1';
          end if;
        end if;

        -- position: next column (and window column), next row at the end of a row
        ox <= ox_nxt;
        if x = G_WIDTH - 1 then
          x   <= 0;
          px  <= 0;
          xin <= '1';
          if y = G_HEIGHT - 1 then
            y   <= 0;
            py  <= 0;
            oy  <= 0;
            yin <= '1';
          else
            y <= y + 1;
            if py = C_S - 1 then
              py <= 0;
              if oy /= C_HO - 1 then
                oy  <= oy + 1;
                yin <= '1';
              else
                yin <= '0';
              end if;
            else
              py <= py + 1;
              if py = C_K - 1 then
                yin <= '0';
              end if;
            end if;
          end if;
        else
          x <= x + 1;
          if px = C_S - 1 then
            px <= 0;
            if ox /= C_WO - 1 then
              xin <= '1';
            else
              xin <= '0';
            end if;
          else
            px <= px + 1;
            if px = C_K - 1 then
              xin <= '0';
            end if;
          end if;
        end if;
      end if;
      ov  <= ov_v;
      hv  <= hv_v;
      -- a pixel may come next clock if h may then be overwritten: it holds no result,
      -- or its result moves on (the output register is free)
      rdy <= not (hv_v and ov_v);
      if rst = '1' then
        x      <= 0;
        y      <= 0;
        px     <= 0;
        py     <= 0;
        ox     <= 0;
        oy     <= 0;
        xin    <= '1';
        yin    <= '1';
        hv     <= '0';
        ov     <= '0';
        o_last <= '0';
        rdy    <= '1';
      end if;
    end if;
  end process;

end architecture rtl;

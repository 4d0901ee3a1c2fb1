-- pcnn_window: sliding window with virtual zero padding.
-- Input: one pixel (G_CHANNELS bytes) per beat, raster order, images back to back.
-- Output: one whole K x K window per beat, element (ky, kx) = pixel index ky*K+kx
-- (bits (ky*K+kx)*C*8 ...), windows in raster order of output positions, m_last on
-- the last window of an image. Padding is virtual: padded pixels are never scanned,
-- out-of-range elements are output as 0. The input is kept in a ring of R rows x W
-- pixels; row slots follow a running row count so that consecutive images share the
-- ring and edge windows are emitted while the next rows arrive.
-- Area: all arithmetic is on narrow signed/unsigned vectors; everything the reader
-- derives from its window position (ring slot and validity of each window row, ring
-- column of each window column, the rows/columns the window needs) is registered
-- together with the position, so the read path is two plain multiplexers per element.
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
  -- ring rows: K in use + 2 of slack, so that the next image's first rows can arrive while
  -- the bottom-edge windows drain (no input stall at one pixel per clock)
  constant C_R     : positive := G_KERNEL + 2;

  -- bits of a signed vector holding every value in lo .. hi
  function sbits(lo : integer; hi : integer) return positive is
  begin
    return pcnn_clog2(pcnn_max(pcnn_max(-lo, hi + 1), 2)) + 1;
  end function;

  -- widths: e (writer row relative to row 0 of the reader's image), row / column positions
  -- of the reader (with room for one step past the end), ring slots, padded columns
  constant C_EB : positive := sbits(-C_H - 1, C_H + C_R + 1);
  constant C_RB : positive := sbits(-C_P - C_K - 1, C_H + C_P + C_S + C_K + 1);
  constant C_CB : positive := sbits(-C_P - C_K - 1, C_W + C_P + C_S + C_K + 1);
  constant C_SB : positive := pcnn_clog2(C_R + 1);
  constant C_XB : positive := pcnn_clog2(C_W + 2 * C_P + C_S + C_K + 1);
  constant C_WB : positive := pcnn_clog2(pcnn_max(C_H, C_W) + 1);

  subtype pixel_t is std_logic_vector(C_PIX_W - 1 downto 0);
  type row_t is array (0 to C_W - 1) of pixel_t;
  type ring_t is array (0 to C_R - 1) of row_t;
  -- a ring row with the virtual padding columns around it (power-of-two length)
  type prow_t is array (0 to 2 ** C_XB - 1) of pixel_t;
  subtype slot_t is unsigned(C_SB - 1 downto 0);
  type slots_t is array (0 to C_K - 1) of slot_t;
  subtype col_t is unsigned(C_XB - 1 downto 0);
  type cols_t is array (0 to C_K - 1) of col_t;

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

  -- what the reader derives from its first window row rl
  type row_info_t is record
    none : std_logic;                            -- no window row inside the image
    hi   : signed(C_EB - 1 downto 0);            -- last image row needed: min(H-1, rl+K-1)
    lor  : signed(C_EB - 1 downto 0);            -- first image row needed (clamped) + R
    ok   : std_logic_vector(C_K - 1 downto 0);   -- window row ky inside the image
  end record row_info_t;

  function row_info(rl : signed(C_RB - 1 downto 0)) return row_info_t is
    variable ri     : row_info_t;
    constant C_HM1  : signed(C_RB - 1 downto 0) := to_signed(C_H - 1, C_RB);
    constant C_ZERO : signed(C_RB - 1 downto 0) := (others => '0');
    variable rhi    : signed(C_RB - 1 downto 0);
    variable r      : signed(C_RB - 1 downto 0);
  begin
    rhi := rl + to_signed(C_K - 1, C_RB);
    ri.none := '0';
    if rl > C_HM1 or rhi < C_ZERO then
      ri.none := '1';
    end if;
    if rhi > C_HM1 then
      ri.hi := to_signed(C_H - 1, C_EB);
    else
      ri.hi := resize(rhi, C_EB);
    end if;
    if rl < C_ZERO then
      ri.lor := to_signed(C_R, C_EB);
    elsif rl > C_HM1 then
      ri.lor := to_signed(C_H - 1 + C_R, C_EB);
    else
      ri.lor := resize(rl, C_EB) + to_signed(C_R, C_EB);
    end if;
    for ky in 0 to C_K - 1 loop
      r := rl + to_signed(ky, C_RB);
      ri.ok(ky) := '0';
      if r >= C_ZERO and r <= C_HM1 then
        ri.ok(ky) := '1';
      end if;
    end loop;
    return ri;
  end function;

  -- what the reader derives from its first window column cl
  type col_info_t is record
    none : std_logic;                   -- no window column inside the image
    chi  : signed(C_CB - 1 downto 0);   -- last window column cl+K-1
    idx  : cols_t;                      -- padded-row index cl+P+kx of window column kx
  end record col_info_t;

  function col_info(cl : signed(C_CB - 1 downto 0)) return col_info_t is
    variable ci     : col_info_t;
    constant C_WM1  : signed(C_CB - 1 downto 0) := to_signed(C_W - 1, C_CB);
    constant C_ZERO : signed(C_CB - 1 downto 0) := (others => '0');
    variable u      : signed(C_CB - 1 downto 0);
  begin
    ci.chi := cl + to_signed(C_K - 1, C_CB);
    ci.none := '0';
    if cl > C_WM1 or ci.chi < C_ZERO then
      ci.none := '1';
    end if;
    for kx in 0 to C_K - 1 loop
      u := cl + to_signed(C_P + kx, C_CB);
      ci.idx(kx) := unsigned(u(C_XB - 1 downto 0));
    end loop;
    return ci;
  end function;

  function init_slots return slots_t is
    variable s : slots_t;
  begin
    for ky in 0 to C_K - 1 loop
      s(ky) := to_unsigned((ky - C_P + C_R * 3) mod C_R, C_SB);
    end loop;
    return s;
  end function;

  constant C_ROW0 : row_info_t := row_info(to_signed(-C_P, C_RB));
  constant C_COL0 : col_info_t := col_info(to_signed(-C_P, C_CB));
  constant C_RS0  : slots_t := init_slots;

  -- data registers start at 0 (no reset needed): no metavalues reach the datapath
  -- arithmetic of the next stages before the first window
  signal ring      : ring_t := (others => (others => (others => '0')));
  signal m_data_r  : std_logic_vector(m_data'range) := (others => '0');

  -- writer: next pixel to write (row wy, col wx of its image), its ring slot
  -- (control registers start at their reset values: no metavalues before the first reset)
  signal wy, wx : unsigned(C_WB - 1 downto 0) := (others => '0');
  signal wslot  : slot_t := (others => '0');
  -- e: writer row relative to row 0 of the reader's image (running row difference)
  signal e      : signed(C_EB - 1 downto 0) := (others => '0');
  -- reader: next window (oy, ox); its first row / col (may be negative, i.e. padding)
  signal oy     : natural range 0 to C_HO - 1 := 0;
  signal ox     : natural range 0 to C_WO - 1 := 0;
  signal row_lo : signed(C_RB - 1 downto 0) := to_signed(-C_P, C_RB);
  signal col_lo : signed(C_CB - 1 downto 0) := to_signed(-C_P, C_CB);
  signal rinfo  : row_info_t := C_ROW0;  -- row_info(row_lo)
  signal cinfo  : col_info_t := C_COL0;  -- col_info(col_lo)
  signal rbase  : slot_t := (others => '0');  -- ring slot of row 0 of the reader's image
  signal rs     : slots_t := C_RS0;     -- ring slot of window row ky (row_lo + ky mod R)

  signal win_ok    : std_logic; -- next window is ready to be emitted
  signal write_ok  : std_logic; -- writer may overwrite its row slot
  signal m_valid_r : std_logic;

  -- a 1x1 window with stride 1 and no padding is the pixel itself: one register stage
  constant C_PASS : boolean := C_K = 1 and C_S = 1 and C_P = 0;

begin

  m_valid <= m_valid_r;
  m_data  <= m_data_r;

  g_pass : if C_PASS generate
    signal cnt   : unsigned(pcnn_clog2(C_H * C_W + 1) - 1 downto 0);
    signal ready : std_logic;
  begin
    ready   <= (not m_valid_r) or m_ready;
    s_ready <= ready;

    p_pass : process (clk)
    begin
      if rising_edge(clk) then
        if m_ready = '1' then
          m_valid_r <= '0';
        end if;
        if s_valid = '1' and ready = '1' then
          m_data_r  <= s_data;
          m_valid_r <= '1';
          m_last    <= '0';
          if cnt = C_H * C_W - 1 then
            m_last <= '1';
            cnt    <= (others => '0');
          else
            cnt <= cnt + 1;
          end if;
        end if;
        if rst = '1' then
          cnt       <= (others => '0');
          m_valid_r <= '0';
          m_last    <= '0';
        end if;
      end if;
    end process;
  end generate g_pass;

  g_ring : if not C_PASS generate

    -- Readiness of the next window and write permission (from registers only).
    p_cond : process (all)
      variable ew : signed(C_EB - 1 downto 0);
      variable xw : signed(C_CB - 1 downto 0);
    begin
      ew := signed(resize(wy, C_EB));
      xw := signed(resize(wx, C_CB));
      win_ok <= '0';
      if rinfo.none = '1' or cinfo.none = '1' then
        -- needs no pixel: wait until the writer has written a pixel of this image
        -- (e - wy = image difference * H), so no window leaves before its image starts
        if e > ew or (e = ew and (wy /= 0 or wx /= 0)) then
          win_ok <= '1';
        end if;
      -- wx > min(W-1, chi) is wx > chi as wx <= W-1
      elsif e > rinfo.hi or (e = rinfo.hi and xw > cinfo.chi) then
        win_ok <= '1';
      end if;
      -- writing row e overwrites row e - R: allowed if no pending window needs it
      write_ok <= '0';
      if e < rinfo.lor then
        write_ok <= '1';
      end if;
    end process;

    s_ready <= write_ok;

    p_main : process (clk)
      variable wr_en, rd_en : boolean;
      variable e_v          : signed(C_EB - 1 downto 0);
      variable rl_v         : signed(C_RB - 1 downto 0);
      variable cl_v         : signed(C_CB - 1 downto 0);
      variable rowv         : row_t;
      variable prow         : prow_t;
      variable pix          : pixel_t;
      variable data_v       : std_logic_vector(m_data'range);
    begin
      if rising_edge(clk) then
        wr_en := s_valid = '1' and write_ok = '1';
        rd_en := win_ok = '1' and (m_valid_r = '0' or m_ready = '1');

        if m_ready = '1' then
          m_valid_r <= '0';
        end if;

        -- read the window (before this clock's write: it never touches needed rows)
        if rd_en then
          for ky in 0 to C_K - 1 loop
            rowv := ring(to_integer(rs(ky)));
            prow := (others => C_PADPX);
            for c in 0 to C_W - 1 loop
              prow(C_P + c) := rowv(c);
            end loop;
            for kx in 0 to C_K - 1 loop
              pix := prow(to_integer(cinfo.idx(kx)));
              if rinfo.ok(ky) = '0' then
                pix := C_PADPX;
              end if;
              data_v(((ky * C_K + kx) + 1) * C_PIX_W - 1 downto (ky * C_K + kx) * C_PIX_W) := pix;
            end loop;
          end loop;
          m_data_r  <= data_v;
          m_valid_r <= '1';
          m_last    <= '0';
          if oy = C_HO - 1 and ox = C_WO - 1 then
            m_last <= '1';
          end if;
        end if;

        -- writer
        e_v := e;
        if wr_en then
          for s in 0 to C_R - 1 loop
            for c in 0 to C_W - 1 loop
              if wslot = s and wx = c then
                ring(s)(c) <= s_data;
              end if;
            end loop;
          end loop;
          if wx = C_W - 1 then
            wx    <= (others => '0');
            wslot <= slot_add(wslot, 1);
            e_v   := e_v + 1;
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
        if rd_en then
          if ox = C_WO - 1 then
            ox   <= 0;
            cl_v := to_signed(-C_P, C_CB);
            if oy = C_HO - 1 then
              oy    <= 0;
              rl_v  := to_signed(-C_P, C_RB);
              rbase <= slot_add(rbase, C_H);
              for ky in 0 to C_K - 1 loop
                rs(ky) <= slot_add(rbase, (C_H - C_P + ky + C_R * 3) mod C_R);
              end loop;
              e_v   := e_v - C_H;
            else
              oy   <= oy + 1;
              rl_v := row_lo + C_S;
              for ky in 0 to C_K - 1 loop
                rs(ky) <= slot_add(rs(ky), C_S);
              end loop;
            end if;
            row_lo <= rl_v;
            rinfo  <= row_info(rl_v);
          else
            ox   <= ox + 1;
            cl_v := col_lo + C_S;
          end if;
          col_lo <= cl_v;
          cinfo  <= col_info(cl_v);
        end if;
        e <= e_v;

        if rst = '1' then
          wy        <= (others => '0');
          wx        <= (others => '0');
          wslot     <= (others => '0');
          e         <= (others => '0');
          oy        <= 0;
          ox        <= 0;
          row_lo    <= to_signed(-C_P, C_RB);
          col_lo    <= to_signed(-C_P, C_CB);
          rinfo     <= C_ROW0;
          cinfo     <= C_COL0;
          rbase     <= (others => '0');
          rs        <= C_RS0;
          m_valid_r <= '0';
          m_last    <= '0';
        end if;
      end if;
    end process;

  end generate g_ring;

end architecture rtl;

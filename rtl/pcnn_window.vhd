-- pcnn_window: sliding window with virtual zero padding.
-- Input: one pixel (G_CHANNELS bytes) per beat, raster order, images back to back.
-- Output: one whole K x K window per beat, element (ky, kx) = pixel index ky*K+kx
-- (bits (ky*K+kx)*C*8 ...), windows in raster order of output positions, m_last on
-- the last window of an image. Padding is virtual: padded pixels are never scanned,
-- out-of-range elements are output as 0. The input is kept in a ring of R rows x W
-- pixels; row slots follow a running global row count so that consecutive images
-- share the ring and edge windows are emitted while the next rows arrive.
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
    G_PAD      : natural := 0  -- virtual zero padding on every side (0..2)
  );
  port (
    clk     : in  std_logic;
    rst     : in  std_logic;
    s_valid : in  std_logic;
    s_ready : out std_logic;
    s_data  : in  std_logic_vector(G_CHANNELS * 8 - 1 downto 0);
    m_valid : out std_logic;
    m_ready : in  std_logic;
    m_data  : out std_logic_vector(G_KERNEL * G_KERNEL * G_CHANNELS * 8 - 1 downto 0);
    m_last  : out std_logic
  );
end entity;

architecture rtl of pcnn_window is

  constant C_PIX_W : positive := G_CHANNELS * 8;
  constant C_K     : positive := G_KERNEL;
  constant C_H     : positive := G_HEIGHT;
  constant C_W     : positive := G_WIDTH;
  constant C_HO    : positive := pcnn_conv_out(G_HEIGHT, G_KERNEL, G_STRIDE, G_PAD);
  constant C_WO    : positive := pcnn_conv_out(G_WIDTH, G_KERNEL, G_STRIDE, G_PAD);
  -- ring rows: K in use + 2 of slack, so that the next image's first rows can arrive while
  -- the bottom-edge windows drain (no input stall at one pixel per clock)
  constant C_R     : positive := G_KERNEL + 2;

  subtype pixel_t is std_logic_vector(C_PIX_W - 1 downto 0);
  type ring_t is array (0 to C_R * C_W - 1) of pixel_t;
  subtype slot_t is natural range 0 to C_R - 1;

  -- (a + b) mod R for a, b in 0 .. R-1
  function slot_add(a : slot_t; b : slot_t) return slot_t is
  begin
    if a + b >= C_R then
      return a + b - C_R;
    end if;
    return a + b;
  end function;

  signal ring : ring_t;

  -- writer: next pixel to write (row wy, col wx of its image), its ring slot
  signal wy, wx : natural range 0 to pcnn_max(C_H, C_W);
  signal wslot  : slot_t;
  -- e: writer row relative to row 0 of the reader's image (global row difference)
  signal e      : integer range -C_H - 1 to C_H + C_R + 1;
  -- reader: next window (oy, ox); its first row / col (may be negative, i.e. padding)
  signal oy     : natural range 0 to C_HO;
  signal ox     : natural range 0 to C_WO;
  signal row_lo : integer range -G_PAD - 1 to C_H + G_PAD + 1;
  signal col_lo : integer range -G_PAD - 1 to C_W + G_PAD + 1;
  signal rbase  : slot_t; -- ring slot of row 0 of the reader's image
  signal rslot  : slot_t; -- ring slot of row row_lo (mod R)

  signal win_ok    : std_logic; -- next window is ready to be emitted
  signal write_ok  : std_logic; -- writer may overwrite its row slot
  signal m_valid_r : std_logic;

begin

  -- Readiness of the next window and write permission (from registers only).
  p_cond : process (all)
    variable need_none : boolean;
    variable hi, hx    : integer;
    variable lo        : integer;
  begin
    need_none := row_lo > C_H - 1 or row_lo + C_K - 1 < 0
                 or col_lo > C_W - 1 or col_lo + C_K - 1 < 0;
    hi := pcnn_min(C_H - 1, row_lo + C_K - 1);
    hx := pcnn_min(C_W - 1, col_lo + C_K - 1);
    lo := pcnn_min(C_H - 1, pcnn_max(0, row_lo));
    win_ok <= '0';
    if need_none then
      -- needs no pixel: wait until the writer has written a pixel of this image
      -- (e - wy = image difference * H), so no window leaves before its image starts
      if e > wy or (e = wy and (wy /= 0 or wx /= 0)) then
        win_ok <= '1';
      end if;
    elsif e > hi or (e = hi and wx > hx) then
      win_ok <= '1';
    end if;
    -- writing row e overwrites row e - R: allowed if no pending window needs it
    write_ok <= '0';
    if e < lo + C_R then
      write_ok <= '1';
    end if;
  end process;

  s_ready <= write_ok;
  m_valid <= m_valid_r;

  p_main : process (clk)
    variable wr_en, rd_en : boolean;
    variable img_end      : boolean;
    variable e_v          : integer;
    variable r, c         : integer;
    variable slot         : slot_t;
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
          r    := row_lo + ky;
          slot := slot_add(rslot, ky mod C_R);
          for kx in 0 to C_K - 1 loop
            c := col_lo + kx;
            if r >= 0 and r < C_H and c >= 0 and c < C_W then
              data_v(((ky * C_K + kx) + 1) * C_PIX_W - 1 downto (ky * C_K + kx) * C_PIX_W) :=
                ring(slot * C_W + c);
            else
              data_v(((ky * C_K + kx) + 1) * C_PIX_W - 1 downto (ky * C_K + kx) * C_PIX_W) :=
                (others => '0');
            end if;
          end loop;
        end loop;
        m_data    <= data_v;
        m_valid_r <= '1';
        m_last    <= '0';
        if oy = C_HO - 1 and ox = C_WO - 1 then
          m_last <= '1';
        end if;
      end if;

      -- writer
      e_v := e;
      if wr_en then
        ring(wslot * C_W + wx) <= s_data;
        if wx = C_W - 1 then
          wx    <= 0;
          wslot <= slot_add(wslot, 1 mod C_R);
          e_v   := e_v + 1;
          if wy = C_H - 1 then
            wy <= 0;
          else
            wy <= wy + 1;
          end if;
        else
          wx <= wx + 1;
        end if;
      end if;

      -- reader position
      if rd_en then
        img_end := false;
        if ox = C_WO - 1 then
          ox     <= 0;
          col_lo <= -G_PAD;
          if oy = C_HO - 1 then
            img_end := true;
          else
            oy     <= oy + 1;
            row_lo <= row_lo + G_STRIDE;
            rslot  <= slot_add(rslot, G_STRIDE mod C_R);
          end if;
        else
          ox     <= ox + 1;
          col_lo <= col_lo + G_STRIDE;
        end if;
        if img_end then
          oy     <= 0;
          row_lo <= -G_PAD;
          rbase  <= slot_add(rbase, C_H mod C_R);
          rslot  <= slot_add(rbase, (C_H - G_PAD) mod C_R);
          e_v    := e_v - C_H;
        end if;
      end if;
      e <= e_v;

      if rst = '1' then
        wy        <= 0;
        wx        <= 0;
        wslot     <= 0;
        e         <= 0;
        oy        <= 0;
        ox        <= 0;
        row_lo    <= -G_PAD;
        col_lo    <= -G_PAD;
        rbase     <= 0;
        rslot     <= (-G_PAD) mod C_R;
        m_valid_r <= '0';
        m_last    <= '0';
      end if;
    end if;
  end process;

end architecture;

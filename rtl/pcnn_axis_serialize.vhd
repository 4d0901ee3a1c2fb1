-- pcnn_axis_serialize: whole-pixel beats -> 8-bit AXI4-Stream words.
-- Emits the G_CH channels of each pixel, channel 0 first, one word per clock with
-- no gap between pixels. No copy of the pixel: the input beat stays on s_data (AXI
-- rule: stable while valid and not ready) and is taken as its last word leaves, so the
-- word is a channel select at a word counter and valid passes through.
-- m_last is count-based: high on the last word of every G_PIXELS-th
-- pixel (the last word of an image or result). s_last is not needed (ignored).
library ieee;
use ieee.std_logic_1164.all;
use ieee.numeric_std.all;

entity pcnn_axis_serialize is
  generic (
    G_CH     : positive := 1;     -- channels (words) per pixel beat
    G_PIXELS : positive := 1;     -- pixels per image (for m_last)
    G_FLIP   : boolean  := false  -- flip each word's MSB (uint8 output: internal int8 + 128)
  );
  port (
    -- clock, synchronous reset (active high)
    clk     : in  std_logic;
    rst     : in  std_logic;
    -- input: one pixel per beat, channel c in bits 8c+7 downto 8c
    s_valid : in  std_logic;
    s_ready : out std_logic;
    s_data  : in  std_logic_vector(G_CH * 8 - 1 downto 0);
    s_last  : in  std_logic := '0';  -- ignored (framing is count-based)
    -- output: 8-bit words, channel 0 first, m_last on the last word of an image
    m_valid : out std_logic;
    m_ready : in  std_logic;
    m_data  : out std_logic_vector(7 downto 0);
    m_last  : out std_logic
  );
end entity pcnn_axis_serialize;

architecture rtl of pcnn_axis_serialize is
  signal idx     : natural range 0 to G_CH - 1 := 0;
  -- idx = G_CH - 1 as a register of its own (G_CH > 1): s_ready is then one gate of two
  -- flip-flops (the last PE's pipeline enable hangs off it)
  signal at_last : std_logic := '0';
  signal pix_cnt : natural range 0 to G_PIXELS - 1 := 0;
  signal word    : std_logic_vector(7 downto 0);
  -- set by the first reset: before it the upstream valid may be undefined
  signal alive   : std_logic := '0';
begin
  process (clk)
  begin
    if rising_edge(clk) then
      if s_valid = '1' and m_ready = '1' then
        if idx = G_CH - 1 then
          idx     <= 0;
          at_last <= '0';
          if pix_cnt = G_PIXELS - 1 then
            pix_cnt <= 0;
          else
            pix_cnt <= pix_cnt + 1;
          end if;
        else
          idx <= idx + 1;
          if idx = G_CH - 2 then
            at_last <= '1';
          end if;
        end if;
      end if;
      if rst = '1' then
        idx     <= 0;
        at_last <= '0';
        pix_cnt <= 0;
        alive   <= '1';
      end if;
    end if;
  end process;

  word <= s_data(8 * idx + 7 downto 8 * idx);

  g_one : if G_CH = 1 generate
    s_ready <= m_ready;
  end generate g_one;

  g_many : if G_CH > 1 generate
    s_ready <= m_ready and at_last;
  end generate g_many;

  m_valid <= s_valid and alive;

  g_keep : if not G_FLIP generate
    m_data <= word;
  end generate g_keep;

  g_msb : if G_FLIP generate
    m_data <= (not word(7)) & word(6 downto 0);
  end generate g_msb;

  m_last <= s_valid and alive when idx = G_CH - 1 and pix_cnt = G_PIXELS - 1 else '0';
end architecture rtl;

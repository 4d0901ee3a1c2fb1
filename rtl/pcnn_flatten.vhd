-- pcnn_flatten: collects the G_PIXELS pixels of one image (one beat each, G_CH bytes,
-- channel 0 in the low byte) into one beat of G_PIXELS*G_CH bytes in stream order
-- (h, w, c): pixel p, channel c at byte p*G_CH + c. It feeds a fully connected layer,
-- run by pcnn_pe as a 1x1 conv over a 1x1 map (weights permuted to this order by
-- pocket_cnn.emit.fc). Each pixel shifts into the top of a buffer; the last pixel of an
-- image moves the buffer to the output register, so images run back to back: the input
-- waits only while that last pixel would overwrite an unread result.
library ieee;
use ieee.std_logic_1164.all;

entity pcnn_flatten is
  generic (
    G_CH     : positive; -- channels (bytes) per input pixel
    G_PIXELS : positive  -- pixels (H*W) per image
  );
  port (
    -- clock and synchronous reset (active high)
    clk     : in  std_logic;
    rst     : in  std_logic;
    -- input stream: one pixel (G_CH bytes) per beat, images back to back
    s_valid : in  std_logic;
    s_ready : out std_logic;
    s_data  : in  std_logic_vector(G_CH * 8 - 1 downto 0);
    -- output stream: one image (G_PIXELS*G_CH bytes) per beat, m_last always '1'
    m_valid : out std_logic;
    m_ready : in  std_logic;
    m_data  : out std_logic_vector(G_PIXELS * G_CH * 8 - 1 downto 0);
    m_last  : out std_logic
  );
end entity pcnn_flatten;

architecture rtl of pcnn_flatten is
  constant C_PIX_BITS : positive := G_CH * 8;
  constant C_BITS     : positive := G_PIXELS * C_PIX_BITS;

  -- pixels of the image being collected (the newest at the top)
  signal img     : std_logic_vector(C_BITS - 1 downto 0) := (others => '0');
  signal cnt     : natural range 0 to G_PIXELS - 1 := 0;
  -- finished image
  signal out_r   : std_logic_vector(C_BITS - 1 downto 0) := (others => '0');
  signal out_vld : std_logic := '0';
  signal rdy     : std_logic;
begin
  rdy <= '1' when cnt /= G_PIXELS - 1 or out_vld = '0' or m_ready = '1' else '0';

  process (clk)
    variable sh : std_logic_vector(C_BITS - 1 downto 0);
  begin
    if rising_edge(clk) then
      if rst = '1' then
        cnt     <= 0;
        out_vld <= '0';
      else
        if m_ready = '1' then
          out_vld <= '0';
        end if;
        if s_valid = '1' and rdy = '1' then
          if G_PIXELS > 1 then
            sh := s_data & img(C_BITS - 1 downto C_PIX_BITS);
          else
            sh := s_data;
          end if;
          if cnt = G_PIXELS - 1 then
            out_r   <= sh;
            out_vld <= '1';
            cnt     <= 0;
          else
            img <= sh;
            cnt <= cnt + 1;
          end if;
        end if;
      end if;
    end if;
  end process;

  s_ready <= rdy;
  m_valid <= out_vld;
  m_data  <= out_r;
  m_last  <= '1';
end architecture rtl;

-- pcnn_maxpool: per-channel maximum of one K x K window of int8 pixels.
-- Input: one window per beat (element ky*K+kx, channel fastest, as pcnn_window emits).
-- Output: one pixel per beat (channel c in bits 8c+7 downto 8c). One register stage.
library ieee;
use ieee.std_logic_1164.all;
use ieee.numeric_std.all;

entity pcnn_maxpool is
  generic (
    G_CHANNELS : positive; -- channels per pixel
    G_KERNEL   : positive  -- pool window size (square)
  );
  port (
    clk     : in  std_logic;
    rst     : in  std_logic;
    s_valid : in  std_logic;
    s_ready : out std_logic;
    s_data  : in  std_logic_vector(G_KERNEL * G_KERNEL * G_CHANNELS * 8 - 1 downto 0);
    s_last  : in  std_logic;
    m_valid : out std_logic;
    m_ready : in  std_logic;
    m_data  : out std_logic_vector(G_CHANNELS * 8 - 1 downto 0);
    m_last  : out std_logic
  );
end entity;

architecture rtl of pcnn_maxpool is
  constant C_KK    : positive := G_KERNEL * G_KERNEL;
  signal m_valid_r : std_logic;
  signal ready     : std_logic;
begin

  ready   <= (not m_valid_r) or m_ready;
  s_ready <= ready;
  m_valid <= m_valid_r;

  p_seq : process (clk)
    variable mx, v : signed(7 downto 0);
    variable b     : integer;
  begin
    if rising_edge(clk) then
      if m_ready = '1' then
        m_valid_r <= '0';
      end if;
      if s_valid = '1' and ready = '1' then
        for c in 0 to G_CHANNELS - 1 loop
          mx := signed(s_data(c * 8 + 7 downto c * 8));
          for kk in 1 to C_KK - 1 loop
            b := kk * G_CHANNELS + c;
            v := signed(s_data(b * 8 + 7 downto b * 8));
            if v > mx then
              mx := v;
            end if;
          end loop;
          m_data(c * 8 + 7 downto c * 8) <= std_logic_vector(mx);
        end loop;
        m_last    <= s_last;
        m_valid_r <= '1';
      end if;
      if rst = '1' then
        m_valid_r <= '0';
        m_last    <= '0';
      end if;
    end if;
  end process;

end architecture;

-- pcnn_skid: a valid/ready slice whose s_ready is a register (no combinational path
-- from m_ready to s_ready), so a long ready chain is cut here at the cost of one word.
-- While it is empty the word passes straight through (valid and data forwarded, no
-- clock of latency); a word offered while m_ready is low is caught in the skid
-- register and sent first, s_ready low meanwhile. A steady stream moves one word per
-- clock; a stall reaches the upstream one clock later.
library ieee;
use ieee.std_logic_1164.all;

entity pcnn_skid is
  generic (
    G_WIDTH : positive   -- bits per word
  );
  port (
    -- clock, synchronous reset (active high, empties the slice)
    clk     : in  std_logic;
    rst     : in  std_logic;
    -- input (s_ready: a register, low while a word waits in the slice)
    s_valid : in  std_logic;
    s_ready : out std_logic;
    s_data  : in  std_logic_vector(G_WIDTH - 1 downto 0);
    -- output (the waiting word, else the input passed through)
    m_valid : out std_logic;
    m_ready : in  std_logic;
    m_data  : out std_logic_vector(G_WIDTH - 1 downto 0)
  );
end entity pcnn_skid;

architecture rtl of pcnn_skid is
  signal full : std_logic := '0';
  signal hold : std_logic_vector(G_WIDTH - 1 downto 0);
begin
  s_ready <= not full;
  m_valid <= full or s_valid;
  m_data  <= hold when full = '1' else s_data;

  p_skid : process (clk)
  begin
    if rising_edge(clk) then
      if full = '0' then
        hold <= s_data;
        if s_valid = '1' and m_ready = '0' then
          full <= '1';
        end if;
      elsif m_ready = '1' then
        full <= '0';
      end if;
      if rst = '1' then
        full <= '0';
      end if;
    end if;
  end process;
end architecture rtl;

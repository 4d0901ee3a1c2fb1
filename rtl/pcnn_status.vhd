-- pcnn_status: the network's status port. Counts images taken in (good or bad), results
-- sent out and images that broke the input framing rule (G_BITS-bit counters from reset,
-- wrapping around), and keeps a sticky error flag: set by a framing error, cleared by
-- i_clear (or rst). A framing error in the clock of i_clear sets the flag again.
library ieee;
use ieee.std_logic_1164.all;
use ieee.numeric_std.all;

entity pcnn_status is
  generic (
    G_BITS : positive := 16  -- width of each counter
  );
  port (
    -- clock, synchronous reset (active high; clears counters and flag)
    clk       : in  std_logic;
    rst       : in  std_logic;
    -- events: one-clock pulses (an image taken, a bad one, a result's last word sent)
    i_image   : in  std_logic;
    i_bad     : in  std_logic;
    i_result  : in  std_logic;
    i_clear   : in  std_logic;
    -- counters and the sticky error flag
    o_images  : out std_logic_vector(G_BITS - 1 downto 0);
    o_results : out std_logic_vector(G_BITS - 1 downto 0);
    o_errors  : out std_logic_vector(G_BITS - 1 downto 0);
    o_error   : out std_logic
  );
end entity pcnn_status;

architecture rtl of pcnn_status is
  signal images  : unsigned(G_BITS - 1 downto 0) := (others => '0');
  signal results : unsigned(G_BITS - 1 downto 0) := (others => '0');
  signal errors  : unsigned(G_BITS - 1 downto 0) := (others => '0');
  signal error   : std_logic := '0';
begin
  process (clk)
  begin
    if rising_edge(clk) then
      if i_image = '1' then
        images <= images + 1;
      end if;
      if i_result = '1' then
        results <= results + 1;
      end if;
      if i_clear = '1' then
        error <= '0';
      end if;
      if i_bad = '1' then
        errors <= errors + 1;
        error  <= '1';
      end if;
      if rst = '1' then
        images  <= (others => '0');
        results <= (others => '0');
        errors  <= (others => '0');
        error   <= '0';
      end if;
    end if;
  end process;

  o_images  <= std_logic_vector(images);
  o_results <= std_logic_vector(results);
  o_errors  <= std_logic_vector(errors);
  o_error   <= error;
end architecture rtl;

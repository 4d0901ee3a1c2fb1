-- pcnn_status: the network's status port. Counts images taken in (good or bad), results
-- sent out and images that broke the input framing rule (G_BITS-bit counters from reset,
-- wrapping around); i_sel picks the counter on o_count (few pins: the network alone
-- still fits a small FPGA's package). Keeps a sticky error flag: set by a framing
-- error, cleared by i_clear (or rst); a framing error in the clock of i_clear wins.
library ieee;
use ieee.std_logic_1164.all;
use ieee.numeric_std.all;

entity pcnn_status is
  generic (
    G_BITS : positive := 8  -- width of each counter
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
    -- the counters (i_sel "00" images in, "01" results out, "10" framing errors, "11"
    -- zero) and the sticky error flag
    i_sel     : in  std_logic_vector(1 downto 0);
    o_count   : out std_logic_vector(G_BITS - 1 downto 0);
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

  -- a conditional assignment, not a selected one: GHDL 2.0's Verilog writer drops the
  -- "when others" of a selected assignment (a case without default: a latch)
  o_count <= std_logic_vector(images) when i_sel = "00" else
    std_logic_vector(results) when i_sel = "01" else
    std_logic_vector(errors) when i_sel = "10" else
    (others => '0');
  o_error <= error;
end architecture rtl;

-- pcnn_axis_checker: AXI4-Stream protocol checker for testbenches (not synthesisable).
-- At every rising edge of clk: valid and ready are '0' or '1' (no U, X, Z ...); once
-- valid is high with ready low (a stall), valid stays high and data and last hold
-- until the transfer. A reset (rst high at either of the two edges) ends the
-- obligation. Each violation is reported (severity failure with G_FATAL, else
-- warning) and counted in o_errors.
library ieee;
use ieee.std_logic_1164.all;

entity pcnn_axis_checker is
  generic (
    G_NAME  : string   := "axis";  -- name of the checked port, in messages
    G_WIDTH : positive := 8;       -- data width
    G_FATAL : boolean  := true     -- a violation ends the simulation
  );
  port (
    -- clock and the synchronous reset of the stream's master
    clk      : in  std_logic;
    rst      : in  std_logic;
    -- the stream (all inputs: the checker only watches)
    valid    : in  std_logic;
    ready    : in  std_logic;
    data     : in  std_logic_vector(G_WIDTH - 1 downto 0);
    last     : in  std_logic := '0';
    -- violations so far
    o_errors : out natural := 0
  );
end entity pcnn_axis_checker;

architecture sim of pcnn_axis_checker is
begin
  process (clk)
    variable stalled   : boolean := false;
    variable held_data : std_logic_vector(G_WIDTH - 1 downto 0);
    variable held_last : std_logic;
    variable errors    : natural := 0;
    variable edge      : natural := 0;

    procedure violation(msg : string) is
    begin
      errors := errors + 1;
      if G_FATAL then
        report "pcnn_axis_checker " & G_NAME & ": " & msg & " (clock edge "
               & integer'image(edge) & ")"
          severity failure;
      else
        report "pcnn_axis_checker " & G_NAME & ": " & msg & " (clock edge "
               & integer'image(edge) & ")"
          severity warning;
      end if;
    end procedure;
  begin
    if rising_edge(clk) then
      edge := edge + 1;
      if valid /= '0' and valid /= '1' then
        violation("tvalid is " & std_logic'image(valid));
      end if;
      if ready /= '0' and ready /= '1' then
        violation("tready is " & std_logic'image(ready));
      end if;
      if stalled and rst = '0' then
        if valid /= '1' then
          violation("tvalid dropped without a transfer");
        elsif data /= held_data or last /= held_last then
          violation("tdata or tlast changed while stalled");
        end if;
      end if;
      stalled   := valid = '1' and ready = '0' and rst = '0';
      held_data := data;
      held_last := last;
      o_errors  <= errors;
    end if;
  end process;
end architecture sim;

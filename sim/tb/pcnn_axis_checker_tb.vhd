-- pcnn_axis_checker_tb: the AXI4-Stream checker must see every kind of violation.
-- Drives a stream by hand, one step per rule, with the checker not fatal: legal
-- transfers and stalls (0 errors), tvalid 'X', tready 'U', tvalid dropped while
-- stalled, tdata changed while stalled, tlast changed while stalled (1 error each),
-- and a drop while stalled with reset high (allowed: 0 errors).
library ieee;
use ieee.std_logic_1164.all;

library vunit_lib;
context vunit_lib.vunit_context;

entity pcnn_axis_checker_tb is
  generic (
    runner_cfg : string
  );
end entity pcnn_axis_checker_tb;

architecture sim of pcnn_axis_checker_tb is
  signal clk    : std_logic := '0';
  signal rst    : std_logic := '0';
  signal valid  : std_logic := '0';
  signal ready  : std_logic := '0';
  signal data   : std_logic_vector(7 downto 0) := x"00";
  signal last   : std_logic := '0';
  signal errors : natural;
  signal stop   : boolean := false;
begin
  clk <= not clk after 5 ns when not stop;

  u_check : entity work.pcnn_axis_checker
    generic map (G_NAME => "selftest", G_FATAL => false)
    port map (clk => clk, rst => rst, valid => valid, ready => ready, data => data,
              last => last, o_errors => errors);

  main : process
    variable before : natural;

    procedure step is
    begin
      wait until rising_edge(clk);
    end procedure;

    -- a stall of two clocks with data 0x5A, then one change `what` applied
    procedure stall_then(what : string) is
    begin
      valid <= '1';
      ready <= '0';
      data  <= x"5A";
      last  <= '0';
      step;
      step;
      if what = "drop" then
        valid <= '0';
      elsif what = "data" then
        data <= x"5B";
      elsif what = "last" then
        last <= '1';
      end if;
      step;
      ready <= '1';
      step;
      valid <= '0';
      last  <= '0';
      step;
    end procedure;
  begin
    test_runner_setup(runner, runner_cfg);
    -- legal: transfers, a stall that ends in a transfer, idle
    valid <= '1';
    ready <= '1';
    data  <= x"01";
    step;
    data  <= x"02";
    last  <= '1';
    step;
    stall_then("none");
    check_equal(errors, 0, "legal traffic");
    before := errors;
    valid  <= 'X';
    step;
    valid  <= '0';
    step;
    check_equal(errors, before + 1, "tvalid X");
    before := errors;
    ready  <= 'U';
    step;
    ready  <= '1';
    step;
    check_equal(errors, before + 1, "tready U");
    for i in 1 to 3 loop
      before := errors;
      if i = 1 then
        stall_then("drop");
      elsif i = 2 then
        stall_then("data");
      else
        stall_then("last");
      end if;
      check_equal(errors, before + 1, "violation " & integer'image(i) & " while stalled");
    end loop;
    -- a drop while stalled, with reset: allowed
    before := errors;
    valid  <= '1';
    ready  <= '0';
    step;
    rst    <= '1';
    valid  <= '0';
    step;
    rst    <= '0';
    step;
    check_equal(errors, before, "drop during reset");
    stop <= true;
    test_runner_cleanup(runner);
  end process;
end architecture sim;

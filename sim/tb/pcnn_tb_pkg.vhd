-- pcnn_tb_pkg: helpers of the VUnit testbenches. Integer files (whitespace separated,
-- written by the Python suites) are read at elaboration; beats are packed from them;
-- random gaps (short and now and then long pauses) for the stream source
-- (pcnn_tb_source) and the reset of the design. The stream sink and checker is
-- pcnn_tb_sink.
library ieee;
use ieee.std_logic_1164.all;
use ieee.numeric_std.all;
use ieee.math_real.all;
use std.textio.all;

library pocket_cnn;
use pocket_cnn.pcnn_pkg.all;

package pcnn_tb_pkg is

  -- All integers of a text file (any layout), in order.
  impure function pcnn_tb_read_ints(path : string) return pcnn_int_array_t;

  -- Pack beat `beat` (bytes values(beat*bytes .. beat*bytes+bytes-1), byte i in bits
  -- 8i+7..8i, each value taken modulo 256) into a vector.
  function pcnn_tb_pack(values : pcnn_int_array_t; beat : natural; bytes : positive)
    return std_logic_vector;

  -- Draw from [0, 1).
  procedure pcnn_tb_rand(variable s1, s2 : inout positive; variable r : out real);

  -- Wait 0 or more cycles: with stall_pct % probability one cycle, now and then long
  -- (20..60 cycles) pauses.
  procedure pcnn_tb_gap(signal clk : in std_logic; constant stall_pct : natural; variable s1, s2 : inout positive);

  -- Hold rst high for two rising edges of clk, then release it.
  procedure pcnn_tb_reset(signal clk : in std_logic; signal rst : out std_logic);

end package pcnn_tb_pkg;

package body pcnn_tb_pkg is

  impure function pcnn_tb_count_ints(path : string) return natural is
    file f     : text open read_mode is path;
    variable l  : line;
    variable v  : integer;
    variable ok : boolean;
    variable n  : natural := 0;
  begin
    while not endfile(f) loop
      readline(f, l);
      loop
        read(l, v, ok);
        exit when not ok;
        n := n + 1;
      end loop;
    end loop;
    file_close(f);
    return n;
  end function;

  impure function pcnn_tb_read_ints(path : string) return pcnn_int_array_t is
    constant C_N : natural := pcnn_tb_count_ints(path);
    file f       : text open read_mode is path;
    variable l   : line;
    variable v   : integer;
    variable ok  : boolean;
    variable n   : natural := 0;
    variable res : pcnn_int_array_t(0 to C_N - 1);
  begin
    while not endfile(f) loop
      readline(f, l);
      loop
        read(l, v, ok);
        exit when not ok;
        res(n) := v;
        n      := n + 1;
      end loop;
    end loop;
    file_close(f);
    return res;
  end function;

  function pcnn_tb_pack(values : pcnn_int_array_t; beat : natural; bytes : positive)
    return std_logic_vector is
    variable res : std_logic_vector(bytes * 8 - 1 downto 0);
  begin
    for i in 0 to bytes - 1 loop
      res(i * 8 + 7 downto i * 8) :=
        std_logic_vector(to_unsigned(values(values'low + beat * bytes + i) mod 256, 8));
    end loop;
    return res;
  end function;

  procedure pcnn_tb_rand(variable s1, s2 : inout positive; variable r : out real) is
    variable x : real;
  begin
    uniform(s1, s2, x);
    r := x;
  end procedure;

  procedure pcnn_tb_gap(signal clk : in std_logic; constant stall_pct : natural; variable s1, s2 : inout positive) is
    variable r : real;
  begin
    if stall_pct = 0 then
      return;
    end if;
    pcnn_tb_rand(s1, s2, r);
    if r < 0.01 then
      pcnn_tb_rand(s1, s2, r);
      for i in 1 to 20 + integer(r * 40.0) loop
        wait until rising_edge(clk);
      end loop;
    end if;
    loop
      pcnn_tb_rand(s1, s2, r);
      exit when r * 100.0 >= real(stall_pct);
      wait until rising_edge(clk);
    end loop;
  end procedure;

  procedure pcnn_tb_reset(signal clk : in std_logic; signal rst : out std_logic) is
  begin
    rst <= '1';
    wait until rising_edge(clk);
    wait until rising_edge(clk);
    rst <= '0';
  end procedure;

end package body pcnn_tb_pkg;

-- pcnn_tb_pkg: stimulus / checking helpers of the entity testbenches (window, conv,
-- maxpool, PE). Integer files (whitespace separated, written by the Python suite) are
-- read at elaboration; a stream source drives beats with random gaps and long pauses;
-- a stream sink applies random backpressure, checks every beat and `last` against the
-- expected values and checks the AXI4-Stream rule (valid/data/last held while not ready).
library ieee;
use ieee.std_logic_1164.all;
use ieee.numeric_std.all;
use ieee.math_real.all;
use std.textio.all;

library vunit_lib;
context vunit_lib.vunit_context;

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
  procedure pcnn_tb_gap(signal clk : in std_logic; constant stall_pct : natural;
                        variable s1, s2 : inout positive);

  -- Send every beat of `values` (`bytes` per beat); last on every `per_img`-th beat.
  -- `stalls` returns the cycles the source waited with valid high and ready low.
  procedure pcnn_tb_source(
    signal clk          : in  std_logic;
    signal valid        : out std_logic;
    signal ready        : in  std_logic;
    signal data         : out std_logic_vector;
    signal last         : out std_logic;
    constant values     : in  pcnn_int_array_t;
    constant bytes      : in  positive;
    constant per_img    : in  positive;
    constant stall_pct  : in  natural;
    constant seed       : in  positive;
    variable stalls     : out natural);

  -- Receive and check every beat of `expected` (signed bytes, `bytes` per beat, last on
  -- every `per_img`-th beat), then `idle` more cycles with ready high and no beat.
  -- `img_cycles` returns the mean cycles between the last beats of consecutive images
  -- (0 with a single image).
  procedure pcnn_tb_sink(
    signal clk          : in  std_logic;
    signal valid        : in  std_logic;
    signal ready        : out std_logic;
    signal data         : in  std_logic_vector;
    signal last         : in  std_logic;
    constant expected   : in  pcnn_int_array_t;
    constant bytes      : in  positive;
    constant per_img    : in  positive;
    constant stall_pct  : in  natural;
    constant seed       : in  positive;
    constant idle       : in  natural;
    variable img_cycles : out real);

end package;

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

  procedure pcnn_tb_gap(signal clk : in std_logic; constant stall_pct : natural;
                        variable s1, s2 : inout positive) is
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

  procedure pcnn_tb_source(
    signal clk          : in  std_logic;
    signal valid        : out std_logic;
    signal ready        : in  std_logic;
    signal data         : out std_logic_vector;
    signal last         : out std_logic;
    constant values     : in  pcnn_int_array_t;
    constant bytes      : in  positive;
    constant per_img    : in  positive;
    constant stall_pct  : in  natural;
    constant seed       : in  positive;
    variable stalls     : out natural) is
    variable s1 : positive := seed;
    variable s2 : positive := 7919;
    variable n  : natural  := 0;
  begin
    valid <= '0';
    for beat in 0 to values'length / bytes - 1 loop
      pcnn_tb_gap(clk, stall_pct, s1, s2);
      valid <= '1';
      data  <= pcnn_tb_pack(values, beat, bytes);
      last  <= '0';
      if beat mod per_img = per_img - 1 then
        last <= '1';
      end if;
      loop
        wait until rising_edge(clk);
        exit when ready = '1';
        n := n + 1;
      end loop;
      valid <= '0';
      data  <= (data'range => 'X');
      last  <= 'X';
    end loop;
    stalls := n;
  end procedure;

  procedure pcnn_tb_sink(
    signal clk          : in  std_logic;
    signal valid        : in  std_logic;
    signal ready        : out std_logic;
    signal data         : in  std_logic_vector;
    signal last         : in  std_logic;
    constant expected   : in  pcnn_int_array_t;
    constant bytes      : in  positive;
    constant per_img    : in  positive;
    constant stall_pct  : in  natural;
    constant seed       : in  positive;
    constant idle       : in  natural;
    variable img_cycles : out real) is
    constant C_BEATS  : natural := expected'length / bytes;
    variable s1       : positive := seed;
    variable s2       : positive := 104729;
    variable r        : real;
    variable rdy      : std_logic := '0';
    variable idx      : natural := 0;
    variable held     : boolean := false;
    variable h_data   : std_logic_vector(data'range);
    variable h_last   : std_logic;
    variable pause    : natural := 0;
    variable cycle    : natural := 0;
    variable t_first  : natural := 0;
    variable t_last   : natural := 0;
    variable n_img    : natural := 0;
    variable got, exp : integer;
  begin
    while idx < C_BEATS loop
      -- choose ready for this cycle
      rdy := '1';
      if stall_pct > 0 then
        if pause > 0 then
          pause := pause - 1;
          rdy   := '0';
        else
          pcnn_tb_rand(s1, s2, r);
          if r < 0.01 then
            pcnn_tb_rand(s1, s2, r);
            pause := 20 + integer(r * 40.0);
            rdy   := '0';
          else
            pcnn_tb_rand(s1, s2, r);
            if r * 100.0 < real(stall_pct) then
              rdy := '0';
            end if;
          end if;
        end if;
      end if;
      ready <= rdy;
      wait until rising_edge(clk);
      cycle := cycle + 1;
      if held then
        check_equal(valid, '1', "valid dropped while not ready (beat " & integer'image(idx) & ")");
        check(data = h_data, "data changed while not ready (beat " & integer'image(idx) & ")");
        check_equal(last, h_last, "last changed while not ready (beat " & integer'image(idx) & ")");
      end if;
      held := false;
      if valid = '1' and rdy = '1' then
        for i in 0 to bytes - 1 loop
          got := to_integer(signed(data(data'low + i * 8 + 7 downto data'low + i * 8)));
          exp := expected(expected'low + idx * bytes + i);
          if got /= exp then
            check_equal(got, exp, "beat " & integer'image(idx) & " byte " & integer'image(i));
          end if;
        end loop;
        if idx mod per_img = per_img - 1 then
          check_equal(last, '1', "last missing on beat " & integer'image(idx));
          n_img := n_img + 1;
          if n_img = 1 then
            t_first := cycle;
          end if;
          t_last := cycle;
        else
          check_equal(last, '0', "unexpected last on beat " & integer'image(idx));
        end if;
        idx := idx + 1;
      elsif valid = '1' then
        held   := true;
        h_data := data;
        h_last := last;
      end if;
    end loop;
    ready <= '1';
    for i in 1 to idle loop
      wait until rising_edge(clk);
      check_equal(valid, '0', "extra beat after the expected output");
    end loop;
    if n_img > 1 then
      img_cycles := real(t_last - t_first) / real(n_img - 1);
    else
      img_cycles := 0.0;
    end if;
  end procedure;

end package body;

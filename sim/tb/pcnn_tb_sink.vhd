-- pcnn_tb_sink: stream sink and checker of the testbenches. From the fall of reset it
-- applies random backpressure (ready low G_STALL % of the cycles, now and then a long
-- pause) and checks every beat against G_EXPECTED (signed bytes, G_BYTES per beat, byte i
-- in bits 8i+7..8i), `last` on every G_PER_IMG-th beat and only there, and the stream
-- rule: valid, data and last held while valid and not ready. After the last expected beat
-- it keeps ready high for G_IDLE cycles and checks that no extra beat comes, then raises
-- `done` with the cycle counts.
library ieee;
use ieee.std_logic_1164.all;
use ieee.numeric_std.all;

library vunit_lib;
context vunit_lib.vunit_context;

library pocket_cnn;
use pocket_cnn.pcnn_pkg.all;

use work.pcnn_tb_pkg.all;

entity pcnn_tb_sink is
  generic (
    G_EXPECTED : pcnn_int_array_t;  -- expected signed bytes, beat by beat
    G_BYTES    : positive;          -- bytes per beat
    G_PER_IMG  : positive;          -- beats per image (last flag period)
    G_STALL    : natural  := 0;     -- % of cycles with ready low
    G_SEED     : positive := 1;     -- random seed
    G_IDLE     : natural  := 20     -- cycles checked for extra beats after the last one
  );
  port (
    clk        : in  std_logic;
    rst        : in  std_logic;          -- the sink starts when it falls
    valid      : in  std_logic;
    ready      : out std_logic := '0';
    data       : in  std_logic_vector(G_BYTES * 8 - 1 downto 0);
    last       : in  std_logic;
    done       : out boolean := false;   -- every beat received, idle cycles checked
    cycles     : out natural := 0;       -- cycles from the start to the last beat
    img_cycles : out real    := 0.0      -- mean cycles between image ends (0: one image)
  );
end entity pcnn_tb_sink;

architecture tb of pcnn_tb_sink is
begin
  p_check : process
    constant C_BEATS  : natural := G_EXPECTED'length / G_BYTES;
    variable s1       : positive := G_SEED;
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
    wait until rst = '0';
    while idx < C_BEATS loop
      -- choose ready for this cycle
      rdy := '1';
      if G_STALL > 0 then
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
            if r * 100.0 < real(G_STALL) then
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
        for i in 0 to G_BYTES - 1 loop
          got := to_integer(signed(data(i * 8 + 7 downto i * 8)));
          exp := G_EXPECTED(G_EXPECTED'low + idx * G_BYTES + i);
          if got /= exp then
            check_equal(got, exp, "beat " & integer'image(idx) & " byte " & integer'image(i));
          end if;
        end loop;
        if idx mod G_PER_IMG = G_PER_IMG - 1 then
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
    cycles <= cycle;
    if n_img > 1 then
      img_cycles <= real(t_last - t_first) / real(n_img - 1);
    end if;
    ready <= '1';
    for i in 1 to G_IDLE loop
      wait until rising_edge(clk);
      check_equal(valid, '0', "extra beat after the expected output");
    end loop;
    done <= true;
    wait;
  end process;
end architecture tb;

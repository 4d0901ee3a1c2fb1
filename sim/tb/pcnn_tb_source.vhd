-- pcnn_tb_source: stream source of the testbenches. After reset it sends every beat of
-- G_VALUES (G_BYTES bytes per beat, byte i in bits 8i+7..8i) with random gaps (G_STALL %
-- per beat, now and then a long pause); `last` is set on every G_PER_IMG-th beat, or with
-- G_BAD_LAST > 0 on that (1-based) beat only. Between beats valid is low and data/last are
-- 'X'. With G_NO_STALL the sink must never make it wait (else error G_RATE_MSG). `done`
-- rises once every beat is accepted.
library ieee;
use ieee.std_logic_1164.all;

library vunit_lib;
context vunit_lib.vunit_context;

library pocket_cnn;
use pocket_cnn.pcnn_pkg.all;

use work.pcnn_tb_pkg.all;

entity pcnn_tb_source is
  generic (
    G_VALUES   : pcnn_int_array_t;   -- bytes to send, beat by beat (taken modulo 256)
    G_BYTES    : positive;           -- bytes per beat
    G_PER_IMG  : positive;           -- beats per image (last flag period)
    G_STALL    : natural  := 0;      -- % of beats preceded by a gap
    G_SEED     : positive := 1;      -- random seed
    G_BAD_LAST : natural  := 0;      -- > 0: last only on this (1-based) beat
    G_NO_STALL : boolean  := false;  -- check that every beat is accepted at once
    G_RATE_MSG : string   := "input waited"  -- error message of the G_NO_STALL check
  );
  port (
    clk   : in  std_logic;
    rst   : in  std_logic;           -- the source starts on the first edge after reset
    valid : out std_logic := '0';
    ready : in  std_logic;
    data  : out std_logic_vector(G_BYTES * 8 - 1 downto 0);
    last  : out std_logic := '0';
    done  : out boolean := false     -- every beat sent and accepted
  );
end entity pcnn_tb_source;

architecture tb of pcnn_tb_source is
begin
  p_send : process
    variable s1     : positive := G_SEED;
    variable s2     : positive := 7919;
    variable stalls : natural  := 0;
    variable is_end : boolean;
  begin
    wait until rising_edge(clk) and rst = '0';
    for beat in 0 to G_VALUES'length / G_BYTES - 1 loop
      pcnn_tb_gap(clk, G_STALL, s1, s2);
      valid <= '1';
      data  <= pcnn_tb_pack(G_VALUES, beat, G_BYTES);
      if G_BAD_LAST > 0 then
        is_end := beat + 1 = G_BAD_LAST;
      else
        is_end := beat mod G_PER_IMG = G_PER_IMG - 1;
      end if;
      last <= '1' when is_end else '0';
      loop
        wait until rising_edge(clk);
        exit when ready = '1';
        stalls := stalls + 1;
      end loop;
      valid <= '0';
      data  <= (data'range => 'X');
      last  <= 'X';
    end loop;
    info("input stall cycles: " & integer'image(stalls));
    if G_NO_STALL then
      check_equal(stalls, 0, G_RATE_MSG);
    end if;
    done <= true;
    wait;
  end process;
end architecture tb;

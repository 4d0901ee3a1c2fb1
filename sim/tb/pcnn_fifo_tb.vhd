-- pcnn_fifo_tb: VUnit testbench of pcnn_fifo (board top and legacy adapter buffer).
-- A source writes G_WORDS numbered words with random gaps (G_STALL_IN %), a sink reads
-- them with random backpressure (G_STALL_OUT %) after first holding m_ready low until
-- the FIFO is full. Checks: every word comes out once and in order; m_valid and m_data
-- hold while not taken; the FIFO takes exactly G_DEPTH + 1 words before s_ready goes
-- low (the array plus the output register) and never more; without stalls and with
-- G_DEPTH >= 2 the words leave at one per clock once the sink starts (no bubbles).
library ieee;
use ieee.std_logic_1164.all;
use ieee.numeric_std.all;

library vunit_lib;
context vunit_lib.vunit_context;

library pocket_cnn;

use work.pcnn_tb_pkg.all;

entity pcnn_fifo_tb is
  generic (
    runner_cfg  : string;
    G_WIDTH     : positive := 8;    -- bits per word
    G_DEPTH     : positive := 4;    -- FIFO array depth
    G_WORDS     : positive := 200;  -- words through the FIFO
    G_STALL_IN  : natural  := 0;    -- percent: chance of an input gap each cycle
    G_STALL_OUT : natural  := 0;    -- percent: chance of m_ready low each cycle
    G_SEED      : positive := 1     -- seed of gaps and backpressure
  );
end entity pcnn_fifo_tb;

architecture sim of pcnn_fifo_tb is
  constant C_PERIOD : time := 10 ns;
  constant C_FILL   : positive := 4 * G_DEPTH + 20;  -- cycles the sink waits at first

  -- word number i as data (wraps modulo 2**G_WIDTH, scrambled a little)
  function word(i : natural) return std_logic_vector is
  begin
    return std_logic_vector(to_unsigned((i * 37 + 11) mod 2 ** G_WIDTH, G_WIDTH));
  end function;

  signal clk     : std_logic := '0';
  signal rst     : std_logic := '1';
  signal stop    : boolean := false;
  signal cycle   : natural := 0;
  signal s_valid : std_logic := '0';
  signal s_ready : std_logic;
  signal s_data  : std_logic_vector(G_WIDTH - 1 downto 0) := (others => '0');
  signal m_valid : std_logic;
  signal m_ready : std_logic := '0';
  signal m_data  : std_logic_vector(G_WIDTH - 1 downto 0);
  signal n_in    : natural := 0;  -- words accepted
  signal n_out   : natural := 0;  -- words taken
  signal max_occ : natural := 0;  -- most words held at once
  signal first_t : integer := -1; -- cycle of the first word taken
  signal last_t  : integer := -1; -- cycle of the last word taken
begin
  clk <= not clk after C_PERIOD / 2 when not stop;

  dut : entity pocket_cnn.pcnn_fifo
    generic map (G_WIDTH => G_WIDTH, G_DEPTH => G_DEPTH)
    port map (
      clk => clk, rst => rst,
      s_valid => s_valid, s_ready => s_ready, s_data => s_data,
      m_valid => m_valid, m_ready => m_ready, m_data => m_data);

  source : process
    variable s1 : positive := G_SEED;
    variable s2 : positive := G_SEED + 7919;
    variable r  : real;
  begin
    pcnn_tb_reset(clk, rst);
    for i in 0 to G_WORDS - 1 loop
      loop
        pcnn_tb_rand(s1, s2, r);
        exit when r * 100.0 >= real(G_STALL_IN);
        s_valid <= '0';
        wait until rising_edge(clk);
      end loop;
      s_valid <= '1';
      s_data  <= word(i);
      loop
        wait until rising_edge(clk);
        exit when s_ready = '1';
      end loop;
    end loop;
    s_valid <= '0';
    wait;
  end process;

  sink : process
    variable s1 : positive := G_SEED + 104729;
    variable s2 : positive := G_SEED + 1299709;
    variable r  : real;
  begin
    wait until rst = '0';
    for i in 1 to C_FILL loop
      wait until rising_edge(clk);
    end loop;
    loop
      pcnn_tb_rand(s1, s2, r);
      m_ready <= '1' when r * 100.0 >= real(G_STALL_OUT) else '0';
      wait until rising_edge(clk);
    end loop;
  end process;

  checker : process (clk)
    variable was_stalled : boolean := false;
    variable held        : std_logic_vector(G_WIDTH - 1 downto 0);
    variable occ         : natural;
  begin
    if rising_edge(clk) then
      cycle <= cycle + 1;
      if rst = '0' then
        if was_stalled then
          check(m_valid = '1' and m_data = held,
                "m_valid/m_data changed while not taken, word " & integer'image(n_out));
        end if;
        was_stalled := m_valid = '1' and m_ready = '0';
        held := m_data;
        occ := n_in - n_out;
        if s_valid = '1' and s_ready = '1' then
          occ := occ + 1;
          n_in <= n_in + 1;
        end if;
        if m_valid = '1' and m_ready = '1' then
          check_equal(m_data, word(n_out), "word " & integer'image(n_out));
          occ := occ - 1;
          n_out <= n_out + 1;
          if first_t < 0 then
            first_t <= cycle;
          end if;
          last_t <= cycle;
        end if;
        check(occ <= G_DEPTH + 1, "FIFO holds " & integer'image(occ) & " words");
        if occ > max_occ then
          max_occ <= occ;
        end if;
      end if;
    end if;
  end process;

  main : process
  begin
    test_runner_setup(runner, runner_cfg);
    wait until n_out = G_WORDS for 1000 * C_PERIOD * (G_WORDS + C_FILL);
    check_equal(n_out, G_WORDS, "words taken (timeout?)");
    wait until rising_edge(clk);
    if G_WORDS > G_DEPTH then
      check_equal(max_occ, G_DEPTH + 1, "words held when full");
    end if;
    if G_STALL_IN = 0 and G_STALL_OUT = 0 and G_DEPTH >= 2 then
      check_equal(last_t - first_t, G_WORDS - 1, "cycles from first to last word out");
    end if;
    for i in 1 to 5 loop
      wait until rising_edge(clk);
      check(m_valid = '0', "m_valid after the last word");
    end loop;
    stop <= true;
    test_runner_cleanup(runner);
  end process;
end architecture sim;

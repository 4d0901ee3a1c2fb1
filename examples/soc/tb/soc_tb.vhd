-- Testbench of the example SoC: streams the images the pocket-cnn generator wrote
-- (package pocket_cnn.soc_cnn_sim_pkg: seeded inputs, reference outputs) through
-- soc_top with random input gaps and output backpressure, checks every output word,
-- every tlast and the result counter, then prints PASS (or fails on the first mismatch).
library ieee;
use ieee.std_logic_1164.all;
use ieee.numeric_std.all;
use ieee.math_real.uniform;
use std.textio.all;

library pocket_cnn;
use pocket_cnn.soc_cnn_sim_pkg.all;

entity soc_tb is
end entity;

architecture sim of soc_tb is
  constant C_PERIOD : time := 10 ns;
  -- simulation time limit: generous per word, stalls included
  constant C_TIMEOUT : time := C_PERIOD * (C_IMAGES * (C_IN_WORDS + C_OUT_WORDS) * 20 + 10000);

  signal clk, rst            : std_logic := '1';
  signal s_data, m_data      : std_logic_vector(7 downto 0) := (others => '0');
  signal s_valid, s_ready    : std_logic := '0';
  signal s_last              : std_logic := '0';
  signal m_valid, m_ready    : std_logic := '0';
  signal m_last              : std_logic;
  signal results             : std_logic_vector(15 downto 0);
  signal done                : boolean := false;
begin
  clk <= not clk after C_PERIOD / 2 when not done else clk;

  dut : entity work.soc_top
    port map (
      clk => clk, rst => rst,
      s_axis_tdata => s_data, s_axis_tvalid => s_valid, s_axis_tready => s_ready,
      s_axis_tlast => s_last,
      m_axis_tdata => m_data, m_axis_tvalid => m_valid, m_axis_tready => m_ready,
      m_axis_tlast => m_last, results => results);

  source : process
    file f : text open read_mode is C_INPUT_FILE;
    variable l : line;
    variable v : integer;
    variable s1, s2 : positive := 7;
    variable r : real;
  begin
    rst <= '1';
    wait until rising_edge(clk);
    wait until rising_edge(clk);
    rst <= '0';
    for img in 0 to C_IMAGES - 1 loop
      for i in 0 to C_IN_WORDS - 1 loop
        readline(f, l);
        read(l, v);
        uniform(s1, s2, r);
        while r < 0.3 loop  -- random input gaps
          s_valid <= '0';
          wait until rising_edge(clk);
          uniform(s1, s2, r);
        end loop;
        s_data  <= std_logic_vector(to_unsigned(v mod 256, 8));
        s_last  <= '1' when i = C_IN_WORDS - 1 else '0';
        s_valid <= '1';
        wait until rising_edge(clk) and s_ready = '1';
      end loop;
    end loop;
    s_valid <= '0';
    wait;
  end process;

  sink : process
    file f : text open read_mode is C_EXPECTED_FILE;
    variable l : line;
    variable want : integer;
    variable got : integer;
    variable s1, s2 : positive := 11;
    variable r : real;
  begin
    wait until rst = '0';
    for img in 0 to C_IMAGES - 1 loop
      for i in 0 to C_OUT_WORDS - 1 loop
        readline(f, l);
        read(l, want);
        loop  -- random backpressure
          uniform(s1, s2, r);
          m_ready <= '1' when r >= 0.3 else '0';
          wait until rising_edge(clk);
          exit when m_valid = '1' and m_ready = '1';
        end loop;
        got := to_integer(signed(m_data));
        assert got = want
          report "soc_tb: MISMATCH image " & integer'image(img) & " word " & integer'image(i) &
                 ": got " & integer'image(got) & ", expected " & integer'image(want)
          severity failure;
        assert (m_last = '1') = (i = C_OUT_WORDS - 1)
          report "soc_tb: tlast wrong at image " & integer'image(img) & " word " & integer'image(i)
          severity failure;
      end loop;
    end loop;
    m_ready <= '0';
    wait until rising_edge(clk);
    assert to_integer(unsigned(results)) = C_IMAGES
      report "soc_tb: result counter " & integer'image(to_integer(unsigned(results))) &
             ", expected " & integer'image(C_IMAGES)
      severity failure;
    report "soc_tb: PASS (" & integer'image(C_IMAGES) & " images, every word checked)";
    done <= true;
    std.env.finish;
    wait;
  end process;

  watchdog : process
  begin
    wait for C_TIMEOUT;
    assert done report "soc_tb: TIMEOUT, the network stopped producing results" severity failure;
    wait;
  end process;
end architecture;

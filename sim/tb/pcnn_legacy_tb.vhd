-- pcnn_legacy_tb: the generated <top>_legacy wrapper (entity work.pcnn_net_legacy) driven
-- like the original pocket-cnn: per image an isl_start pulse, then per pixel wait for
-- osl_rdy and send a burst of G_CH words; isl_get is randomly low G_STALL_OUT percent of
-- the cycles. Every word with osl_valid is checked against <output_path>/expected.txt
-- (pocket_cnn.reference), and osl_finish must rise after exactly G_OUT_WORDS words.
library ieee;
use ieee.std_logic_1164.all;
use ieee.numeric_std.all;
use ieee.math_real.all;

library vunit_lib;
context vunit_lib.vunit_context;

library pocket_cnn;
use pocket_cnn.pcnn_pkg.all;

use work.pcnn_tb_pkg.all;

entity pcnn_legacy_tb is
  generic (
    runner_cfg  : string;
    G_IMAGES    : positive := 1;   -- images, one isl_start each
    G_CH        : positive := 1;   -- input channels (words per burst)
    G_IN_WORDS  : positive := 1;   -- input words per image
    G_OUT_WORDS : positive := 1;   -- output words per image
    G_STALL_OUT : natural  := 0;   -- percent of cycles with isl_get low
    G_SEED      : positive := 1    -- seed of isl_get
  );
end entity pcnn_legacy_tb;

architecture sim of pcnn_legacy_tb is
  constant C_PATH : string           := output_path(runner_cfg);
  constant C_IN   : pcnn_int_array_t := pcnn_tb_read_ints(C_PATH & "input.txt");
  constant C_EXP  : pcnn_int_array_t := pcnn_tb_read_ints(C_PATH & "expected.txt");

  signal clk    : std_logic := '0';
  signal get    : std_logic := '0';
  signal start  : std_logic := '0';
  signal valid  : std_logic := '0';
  signal din    : std_logic_vector(7 downto 0) := (others => '0');
  signal dout   : std_logic_vector(7 downto 0);
  signal ovalid : std_logic;
  signal rdy    : std_logic;
  signal finish : std_logic;
begin
  clk <= not clk after 5 ns;

  dut : entity work.pcnn_net_legacy
    port map (isl_clk => clk, isl_get => get, isl_start => start, isl_valid => valid,
              islv_data => din, oslv_data => dout, osl_valid => ovalid, osl_rdy => rdy,
              osl_finish => finish);

  get_gen : process
    variable s1 : positive := G_SEED;
    variable s2 : positive := G_SEED + 99;
    variable r  : real;
  begin
    uniform(s1, s2, r);
    get <= '0' when r * 100.0 < real(G_STALL_OUT) else '1';
    wait until rising_edge(clk);
  end process;

  main : process
    variable n   : natural; -- result words of the image so far
    variable i   : natural; -- input words of the image sent so far
    variable img : natural;

    -- after a clock edge: check the result word if osl_valid
    procedure take_output is
    begin
      if ovalid = '1' then
        check(n < G_OUT_WORDS, "more result words than expected");
        check_equal(to_integer(signed(dout)), C_EXP(img * G_OUT_WORDS + n),
                    "image " & integer'image(img) & " word " & integer'image(n));
        n := n + 1;
      end if;
    end procedure;
  begin
    test_runner_setup(runner, runner_cfg);
    check_equal(C_IN'length, G_IMAGES * G_IN_WORDS, "words in input.txt");
    check_equal(C_EXP'length, G_IMAGES * G_OUT_WORDS, "words in expected.txt");
    for k in 0 to G_IMAGES - 1 loop
      img := k;
      wait until rising_edge(clk);
      start <= '1';
      wait until rising_edge(clk);
      start <= '0';
      n := 0;
      i := 0;
      while n < G_OUT_WORDS or finish = '0' loop
        -- send the next pixel when the wrapper is ready (as the original's testbench did)
        if i < G_IN_WORDS and rdy = '1' then
          valid <= '1';
          for w in 0 to G_CH - 1 loop
            din <= std_logic_vector(to_signed(C_IN(img * G_IN_WORDS + i), 9)(7 downto 0));
            i := i + 1;
            wait until rising_edge(clk);
            take_output;
          end loop;
          valid <= '0';
        else
          wait until rising_edge(clk);
          take_output;
        end if;
      end loop;
      check_equal(n, G_OUT_WORDS, "words before osl_finish");
      check_equal(i, G_IN_WORDS, "input words sent");
      check_equal(rdy, '0', "osl_rdy after osl_finish");
    end loop;
    test_runner_cleanup(runner);
  end process;

  test_runner_watchdog(runner, 20 ms);
end architecture sim;

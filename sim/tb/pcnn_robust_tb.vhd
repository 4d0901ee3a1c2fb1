-- pcnn_robust_tb: VUnit testbench of a generated network (entity work.pcnn_net) under
-- framing errors, resets at any cycle, random input gaps and output backpressure, with
-- its status port and AXI4-Stream protocol checkers (pcnn_axis_checker) on both ports.
-- The run is a script of segments (pocket_cnn/simulation/robust.py writes it):
--   output_path/input.txt, one record per line:
--     0 R L C   a segment starts: rst rises R cycles after its start and stays high L
--               cycles (R = -1: no reset), C = 1: pulse status_clear at its start
--     1 V T     a word V (integer) with tlast T, sent with random gaps
--   output_path/expected.txt, one record per line:
--     0 CUT     a segment starts (CUT = 1: a reset ends it)
--     1 V       the next result word (int8) of the segment, from the Python reference
--     2 I R E F after the segment (not cut): status_count with status_sel "00" I
--               (images in), "01" R (results out), "10" E (framing errors), "11" 0;
--               status_error F
-- A segment starts when the previous one is over: every result word checked and every
-- word sent, or its reset. Every output word must be the next expected word (words
-- before a reset are a prefix of the segment's results); after a reset the next
-- segment must come out whole and right. A mismatch names the segment, image, word,
-- expected and got values and the cycle the word left the core. Writes
-- output_path/summary.txt: "segments S resets R words W cycles C".
library ieee;
use ieee.std_logic_1164.all;
use ieee.numeric_std.all;
use std.textio.all;

library vunit_lib;
context vunit_lib.vunit_context;

use work.pcnn_tb_pkg.all;

entity pcnn_robust_tb is
  generic (
    runner_cfg    : string;
    output_path   : string;              -- set by VUnit (ends with "/")
    G_OUT_WORDS   : positive := 1;       -- output words per image
    G_STALL_IN    : natural  := 0;       -- percent input gaps
    G_STALL_OUT   : natural  := 0;       -- percent output backpressure
    G_SEED        : positive := 1;       -- seed of gaps and backpressure
    G_STATUS_BITS : positive := 8;       -- width of the status counters
    G_TIMEOUT_MS  : positive := 20       -- watchdog, simulated milliseconds
  );
end entity pcnn_robust_tb;

architecture sim of pcnn_robust_tb is
  constant C_PERIOD : time := 10 ns;

  signal clk          : std_logic := '0';
  signal rst          : std_logic := '1';
  signal cycle        : natural := 0;
  signal s_tdata      : std_logic_vector(7 downto 0) := (others => '0');
  signal s_tvalid     : std_logic := '0';
  signal s_tready     : std_logic;
  signal s_tlast      : std_logic := '0';
  signal m_tdata      : std_logic_vector(7 downto 0);
  signal m_tvalid     : std_logic;
  signal m_tready     : std_logic := '0';
  signal m_tlast      : std_logic;
  signal st_clear     : std_logic := '0';
  signal st_sel       : std_logic_vector(1 downto 0) := "00";
  signal st_count     : std_logic_vector(G_STATUS_BITS - 1 downto 0);
  signal st_error     : std_logic;
  signal in_errors    : natural;
  signal out_errors   : natural;
  -- handshake between the source and the sink: segments finished on each side
  signal src_seg      : integer := -1;  -- last segment whose words are all sent (or cut)
  signal snk_seg      : integer := -1;  -- last segment the sink has finished
  signal src_eof      : boolean := false;
  signal resets       : natural := 0;
  signal done         : boolean := false;
begin
  clk <= not clk after C_PERIOD / 2 when not done;

  dut : entity work.pcnn_net
    port map (
      clk => clk, rst => rst,
      s_axis_tdata => s_tdata, s_axis_tvalid => s_tvalid, s_axis_tready => s_tready,
      s_axis_tlast => s_tlast,
      m_axis_tdata => m_tdata, m_axis_tvalid => m_tvalid, m_axis_tready => m_tready,
      m_axis_tlast => m_tlast,
      status_clear => st_clear, status_sel => st_sel, status_count => st_count,
      status_error => st_error);

  u_check_in : entity work.pcnn_axis_checker
    generic map (G_NAME => "s_axis")
    port map (clk => clk, rst => rst, valid => s_tvalid, ready => s_tready, data => s_tdata,
              last => s_tlast, o_errors => in_errors);

  u_check_out : entity work.pcnn_axis_checker
    generic map (G_NAME => "m_axis")
    port map (clk => clk, rst => rst, valid => m_tvalid, ready => m_tready, data => m_tdata,
              last => m_tlast, o_errors => out_errors);

  count : process (clk)
  begin
    if rising_edge(clk) then
      cycle <= cycle + 1;
    end if;
  end process;

  source : process
    file f           : text open read_mode is output_path & "input.txt";
    variable l       : line;
    variable code    : integer;
    variable a, b, c : integer;
    variable have    : boolean := false; -- a record is read and not yet used
    variable seg     : integer := -1;
    variable cyc     : natural;          -- cycles since the segment started
    variable cut     : boolean;
    variable s1      : positive := G_SEED;
    variable s2      : positive := G_SEED + 7919;
    variable r       : real;
    variable n_reset : natural := 0;
    variable rst_at  : integer;          -- the segment's reset cycle (-1: none)
    variable rst_len : integer;          -- ... and its length

    procedure next_record is
      variable ok : boolean;
    begin
      have := false;
      while not have and not endfile(f) loop
        readline(f, l);
        read(l, code, ok);
        if ok then
          have := true;
          a := 0;
          b := 0;
          c := 0;
          read(l, a, ok);
          read(l, b, ok);
          read(l, c, ok);
        end if;
      end loop;
    end procedure;

    -- one clock; the segment's reset when its cycle has come
    procedure tick(reset_at : integer) is
    begin
      wait until rising_edge(clk);
      st_clear <= '0';
      cyc := cyc + 1;
      cut := reset_at >= 0 and cyc >= reset_at;
    end procedure;
  begin
    rst <= '1';
    for i in 1 to 4 loop
      wait until rising_edge(clk);
    end loop;
    rst <= '0';
    wait until rising_edge(clk);
    next_record;
    while have loop
      check_equal(code, 0, "input.txt: a segment record expected");
      seg := seg + 1;
      -- wait until the sink has finished the previous segment
      while snk_seg < seg - 1 loop
        wait until rising_edge(clk);
      end loop;
      cyc     := 0;
      rst_at  := a;
      rst_len := b;
      cut     := rst_at = 0;
      if c = 1 then
        st_clear <= '1';
      end if;
      next_record;
      -- the words, with random gaps, until the reset cuts the segment
      while have and code = 1 and not cut loop
        pcnn_tb_rand(s1, s2, r);
        if r * 100.0 < real(G_STALL_IN) then
          s_tvalid <= '0';
          tick(rst_at);
        else
          s_tvalid <= '1';
          s_tdata  <= std_logic_vector(to_signed(a, 9)(7 downto 0));
          s_tlast  <= '1' when b = 1 else '0';
          loop
            tick(rst_at);
            exit when s_tready = '1' or cut;
          end loop;
          if not cut then
            next_record;
          end if;
        end if;
      end loop;
      s_tvalid <= '0';
      s_tlast  <= '0';
      if rst_at >= 0 then
        while not cut loop
          tick(rst_at);
        end loop;
        -- the reset: rst high for b cycles (at least one)
        rst <= '1';
        for i in 1 to maximum(rst_len, 1) loop
          wait until rising_edge(clk);
        end loop;
        rst      <= '0';
        st_clear <= '0';
        n_reset := n_reset + 1;
        resets  <= n_reset;
        -- skip the words the reset cut off
        while have and code = 1 loop
          next_record;
        end loop;
      end if;
      src_seg <= seg;
    end loop;
    src_eof <= true;
    wait;
  end process;

  sink : process
    file f            : text open read_mode is output_path & "expected.txt";
    variable l        : line;
    variable code     : integer;
    variable v        : integer;
    variable vals     : integer_vector(0 to 3);
    variable have     : boolean := false;
    variable seg      : integer := -1;
    variable cut      : boolean;
    variable pos      : natural;   -- result words of this segment so far
    variable got      : integer;
    variable s1       : positive := G_SEED + 104729;
    variable s2       : positive := G_SEED + 1299709;
    variable r        : real;
    variable words    : natural := 0;
    variable was_rst  : boolean;
    variable exp_last : std_logic;
    variable want     : natural;
    variable lo       : line;
    file fs           : text;

    procedure next_record is
      variable ok : boolean;
    begin
      have := false;
      while not have and not endfile(f) loop
        readline(f, l);
        read(l, code, ok);
        if ok then
          have := true;
          for i in vals'range loop
            read(l, vals(i), ok);
            if not ok then
              vals(i) := 0;
            end if;
          end loop;
        end if;
      end loop;
    end procedure;

    function where(s, p : natural) return string is
    begin
      return "segment " & integer'image(s) & " image " & integer'image(p / G_OUT_WORDS)
             & " word " & integer'image(p mod G_OUT_WORDS);
    end function;

    -- one clock with a random tready; returns the handshake and whether rst was high
    procedure tick(variable hs : out boolean; variable in_rst : out boolean) is
    begin
      pcnn_tb_rand(s1, s2, r);
      m_tready <= '0' when r * 100.0 < real(G_STALL_OUT) else '1';
      wait until rising_edge(clk);
      hs     := m_tvalid = '1' and m_tready = '1';
      in_rst := rst = '1';
    end procedure;

    variable hs : boolean;
  begin
    wait until rst = '0';
    next_record;
    while have loop
      check_equal(code, 0, "expected.txt: a segment record expected");
      seg := seg + 1;
      cut := vals(0) = 1;
      pos := 0;
      was_rst := false;
      next_record;
      -- every word of the segment, until a reset cuts it
      while not was_rst and (cut or (have and code = 1)) loop
        tick(hs, was_rst);
        if hs then
          got := to_integer(signed(m_tdata));
          if not (have and code = 1) then
            check(false, where(seg, pos) & ": a word (" & integer'image(got)
                  & ") after the segment's last result, cycle " & integer'image(cycle));
          else
            check(got = vals(0), where(seg, pos) & ": expected " & integer'image(vals(0))
                  & ", got " & integer'image(got) & " (left the core at cycle "
                  & integer'image(cycle) & ")");
            exp_last := '1' when pos mod G_OUT_WORDS = G_OUT_WORDS - 1 else '0';
            check(m_tlast = exp_last, where(seg, pos) & ": tlast is "
                  & std_logic'image(m_tlast) & " (cycle " & integer'image(cycle) & ")");
            pos   := pos + 1;
            words := words + 1;
            next_record;
          end if;
        end if;
      end loop;
      if was_rst then
        check(cut, "segment " & integer'image(seg) & ": reset in a segment without one");
        while have and code /= 0 loop
          next_record;
        end loop;
        if rst = '1' then
          wait until rst = '0';
        end if;
      else
        check(have and code = 2, "expected.txt: status record after segment "
              & integer'image(seg));
        while src_seg < seg loop
          tick(hs, was_rst);
          check(not hs, "segment " & integer'image(seg) & ": an extra output word");
        end loop;
        for i in 1 to 3 loop
          tick(hs, was_rst);
          check(not hs, "segment " & integer'image(seg) & ": an extra output word");
        end loop;
        for k in 0 to 3 loop
          st_sel <= std_logic_vector(to_unsigned(k, 2));
          wait for 1 ns;
          want := 0;  -- "11": zero
          if k < 3 then
            want := vals(k);
          end if;
          check_equal(to_integer(unsigned(st_count)), want,
                      "segment " & integer'image(seg) & ": status_count, status_sel "
                      & integer'image(k));
        end loop;
        check_equal(st_error = '1', vals(3) = 1,
                    "segment " & integer'image(seg) & ": status_error");
        next_record;
      end if;
      m_tready <= '0';
      snk_seg  <= seg;
    end loop;
    if not src_eof then
      wait until src_eof;
    end if;
    file_open(fs, output_path & "summary.txt", write_mode);
    write(lo, "segments " & integer'image(seg + 1) & " resets " & integer'image(resets)
          & " words " & integer'image(words) & " cycles " & integer'image(cycle));
    writeline(fs, lo);
    file_close(fs);
    check_equal(in_errors, 0, "s_axis protocol violations");
    check_equal(out_errors, 0, "m_axis protocol violations");
    done <= true;
    wait;
  end process;

  main : process
  begin
    test_runner_setup(runner, runner_cfg);
    wait until done;
    info("pcnn_robust_tb: " & integer'image(cycle) & " cycles, " & integer'image(resets)
         & " resets");
    test_runner_cleanup(runner);
  end process;

  test_runner_watchdog(runner, G_TIMEOUT_MS * 1 ms);
end architecture sim;

-- pcnn_fifo: synchronous FIFO, valid/ready (AXI4-Stream rules) on both sides.
-- The storage is a G_DEPTH x G_WIDTH array with one write port and one registered
-- read port and no reset, so synthesis (yosys, Vivado, Quartus) can map it to block
-- RAM. The registered read port is the output register itself: a word is read from
-- the array whenever the output register is empty or being taken, so the FIFO
-- moves one word per clock in and out (for G_DEPTH >= 2; G_DEPTH = 1 moves one word
-- every two clocks). It holds up to G_DEPTH + 1 words (the array plus the output
-- register). s_ready depends on registers only (no path from m_ready). A read never
-- hits the address written in the same clock (the array then holds at least one word
-- that is not being written), so no read-during-write behaviour is assumed.
-- Used by the legacy adapter (one pixel burst) and the UART board top (image, result).
library ieee;
use ieee.std_logic_1164.all;
use ieee.numeric_std.all;

entity pcnn_fifo is
  generic (
    G_WIDTH : positive := 8;   -- bits per word
    G_DEPTH : positive := 16   -- words in the array (a power of two maps best to RAM)
  );
  port (
    -- clock, synchronous reset (active high, empties the FIFO)
    clk     : in  std_logic;
    rst     : in  std_logic;
    -- write side
    s_valid : in  std_logic;
    s_ready : out std_logic;   -- low while the array is full
    s_data  : in  std_logic_vector(G_WIDTH - 1 downto 0);
    -- read side (m_data is the registered output word)
    m_valid : out std_logic;
    m_ready : in  std_logic;
    m_data  : out std_logic_vector(G_WIDTH - 1 downto 0)
  );
end entity pcnn_fifo;

architecture rtl of pcnn_fifo is
  type mem_t is array (0 to G_DEPTH - 1) of std_logic_vector(G_WIDTH - 1 downto 0);
  signal mem    : mem_t;
  signal wr_ptr : natural range 0 to G_DEPTH - 1 := 0;
  signal rd_ptr : natural range 0 to G_DEPTH - 1 := 0;
  signal count  : natural range 0 to G_DEPTH := 0;  -- words in the array
  signal q      : std_logic_vector(G_WIDTH - 1 downto 0);
  signal q_vld  : std_logic := '0';
  signal wr_en  : std_logic;
  signal rd_en  : std_logic;
begin
  wr_en <= '1' when s_valid = '1' and count /= G_DEPTH else '0';
  rd_en <= '1' when count /= 0 and (q_vld = '0' or m_ready = '1') else '0';

  -- the RAM: write port and registered read port, no reset
  ram : process (clk)
  begin
    if rising_edge(clk) then
      if wr_en = '1' then
        mem(wr_ptr) <= s_data;
      end if;
      if rd_en = '1' then
        q <= mem(rd_ptr);
      end if;
    end if;
  end process;

  ctrl : process (clk)
  begin
    if rising_edge(clk) then
      if rst = '1' then
        wr_ptr <= 0;
        rd_ptr <= 0;
        count  <= 0;
        q_vld  <= '0';
      else
        if wr_en = '1' then
          wr_ptr <= 0 when wr_ptr = G_DEPTH - 1 else wr_ptr + 1;
        end if;
        if rd_en = '1' then
          rd_ptr <= 0 when rd_ptr = G_DEPTH - 1 else rd_ptr + 1;
          q_vld  <= '1';
        elsif m_ready = '1' then
          q_vld <= '0';
        end if;
        if wr_en = '1' and rd_en = '0' then
          count <= count + 1;
        elsif wr_en = '0' and rd_en = '1' then
          count <= count - 1;
        end if;
      end if;
    end if;
  end process;

  s_ready <= '1' when count /= G_DEPTH else '0';
  m_valid <= q_vld;
  m_data  <= q;
end architecture rtl;

-- pcnn_uart_rx: UART receiver, 8N1 (one start bit, 8 data bits LSB first, one stop bit).
-- The pin goes through a 2-FF synchroniser. A falling edge starts a frame; the start
-- bit is sampled again half a bit later and a glitch (line high again) is rejected.
-- Data bits and the stop bit are sampled mid-bit. A frame whose stop bit is low is
-- dropped and sets the sticky o_frame_err; the receiver then waits for the line to go
-- high (idle) before it looks for the next start bit. The next start edge is accepted
-- from mid stop bit on, so a sender up to a few percent fast still works.
-- m_valid is a one-clock pulse with m_data (AXI4-Stream-like, no ready: a UART cannot
-- wait, so the consumer must take every byte).
library ieee;
use ieee.std_logic_1164.all;
use ieee.numeric_std.all;

entity pcnn_uart_rx is
  generic (
    G_CLK_HZ : positive := 12_000_000;  -- clock frequency in Hz
    G_BAUD   : positive := 115_200      -- baud rate in bit/s (G_CLK_HZ / G_BAUD >= 4)
  );
  port (
    -- clock, synchronous reset (active high)
    clk         : in  std_logic;
    rst         : in  std_logic;
    -- the line
    i_rx        : in  std_logic;  -- the UART RX pin (asynchronous, idle high)
    -- received bytes (no ready) and status
    m_valid     : out std_logic;  -- one-clock pulse: m_data holds a received byte
    m_data      : out std_logic_vector(7 downto 0);
    o_frame_err : out std_logic   -- sticky until rst: a stop bit was low
  );
end entity pcnn_uart_rx;

architecture rtl of pcnn_uart_rx is
  -- clocks per bit, rounded to the nearest integer
  constant C_DIV  : positive := (G_CLK_HZ + G_BAUD / 2) / G_BAUD;
  constant C_HALF : positive := C_DIV / 2;

  type state_t is (S_IDLE, S_START, S_DATA, S_STOP, S_BREAK);
  signal state   : state_t := S_IDLE;
  signal rx_meta : std_logic := '1';
  signal rx_sync : std_logic := '1';
  signal timer   : natural range 0 to C_DIV - 1 := 0;
  signal bit_idx : natural range 0 to 7 := 0;
  signal shreg   : std_logic_vector(7 downto 0) := (others => '0');
  signal valid   : std_logic := '0';
  signal err     : std_logic := '0';
begin
  assert C_DIV >= 4
    report "pcnn_uart_rx: G_CLK_HZ / G_BAUD must be at least 4" severity failure;

  sync : process (clk)
  begin
    if rising_edge(clk) then
      rx_meta <= i_rx;
      rx_sync <= rx_meta;
    end if;
  end process;

  fsm : process (clk)
  begin
    if rising_edge(clk) then
      valid <= '0';
      if rst = '1' then
        state <= S_IDLE;
        timer <= 0;
        err   <= '0';
      else
        case state is
          when S_IDLE =>
            if rx_sync = '0' then
              state <= S_START;
              timer <= C_HALF - 1;
            end if;
          when S_START =>
            if timer /= 0 then
              timer <= timer - 1;
            elsif rx_sync = '0' then
              state   <= S_DATA;
              timer   <= C_DIV - 1;
              bit_idx <= 0;
            else
              state <= S_IDLE;  -- glitch, not a start bit
            end if;
          when S_DATA =>
            if timer /= 0 then
              timer <= timer - 1;
            else
              shreg <= rx_sync & shreg(7 downto 1);
              timer <= C_DIV - 1;
              if bit_idx = 7 then
                state <= S_STOP;
              else
                bit_idx <= bit_idx + 1;
              end if;
            end if;
          when S_STOP =>
            if timer /= 0 then
              timer <= timer - 1;
            elsif rx_sync = '1' then
              valid <= '1';
              state <= S_IDLE;
            else
              err   <= '1';
              state <= S_BREAK;
            end if;
          when S_BREAK =>
            if rx_sync = '1' then
              state <= S_IDLE;
            end if;
        end case;
      end if;
    end if;
  end process;

  m_valid     <= valid;
  m_data      <= shreg;
  o_frame_err <= err;
end architecture rtl;

-- pcnn_pe: one processing element of the network:
--   pcnn_window (conv geometry, virtual zero pad) -> pcnn_conv (MAC, requant, act)
--   [-> pool] when G_CFG.pool_kernel > 0: pcnn_maxpool_line on the pixel stream when the
--   pool windows do not overlap (stride >= kernel), else pcnn_window (pool geometry) ->
--   pcnn_maxpool.
--   G_CFG.mem_form: pcnn_pe_mem (ring of rows in one memory, one word per clock) replaces
--   pcnn_window -> pcnn_conv; the pool follows it the same way.
-- G_DSP goes to the conv (pcnn_conv / pcnn_pe_mem): where its products come from. In the
--   board flows' forms (ECP5 blocks, logic) a skid slice (pcnn_skid) sits between
--   pcnn_window and pcnn_conv: the window's next decision then starts at a registered
--   ready, not at the conv's stall logic (no clock of latency while nothing stalls).
-- Input: one pixel (ch_in bytes) per beat, raster order, images back to back.
-- Output: one pixel (ch_out bytes) per beat, m_last on the last pixel of an image.
library ieee;
use ieee.std_logic_1164.all;

library pocket_cnn;
use pocket_cnn.pcnn_pkg.all;

entity pcnn_pe is
  generic (
    G_CFG     : pcnn_pe_cfg_t;    -- PE configuration (geometry, shift, act, parallelism)
    G_WEIGHTS : pcnn_int_array_t; -- Cout*Cin*K*K int8 weights, ONNX order (co, ci, ky, kx)
    G_BIAS    : pcnn_int_array_t; -- Cout int32 biases (input zero point folded in)
    G_MULT    : pcnn_int_array_t := (0 => 1); -- Cout requant mantissas (mult, exact)
    G_MSHIFT  : pcnn_int_array_t := (0 => 0); -- Cout requant shifts (mult, exact)
    G_TABLE   : pcnn_int_array_t := (0 => 0); -- 256 output bytes of act table, index y + 128
    G_DSP     : pcnn_dsp_t := PCNN_DSP_INFER   -- products: inferred, ECP5 blocks or logic
  );
  port (
    -- clock, synchronous reset (active high)
    clk     : in  std_logic;
    rst     : in  std_logic;
    -- input: one pixel (ch_in bytes) per beat, raster order, images back to back
    s_valid : in  std_logic;
    s_ready : out std_logic;
    s_data  : in  std_logic_vector(G_CFG.ch_in * 8 - 1 downto 0);
    -- output: one int8 pixel (ch_out bytes) per beat, m_last on the last of an image
    m_valid : out std_logic;
    m_ready : in  std_logic;
    m_data  : out std_logic_vector(G_CFG.ch_out * 8 - 1 downto 0);
    m_last  : out std_logic
  );
end entity pcnn_pe;

architecture rtl of pcnn_pe is

  constant C_K  : positive := G_CFG.kernel;
  constant C_HC : positive := pcnn_conv_height(G_CFG);
  constant C_WC : positive := pcnn_conv_width(G_CFG);

  constant C_WW   : positive := C_K * C_K * G_CFG.ch_in * 8;
  -- not behind a 1x1 window at stride 1 without padding: that one is a skid slice already
  constant C_SKID : boolean  := G_DSP /= PCNN_DSP_INFER and
    not pcnn_window_pass(C_K, G_CFG.stride, G_CFG.pad);

  -- the window's output (w), the conv's input (v: w, or w through the skid slice)
  signal w_valid, w_ready, w_last : std_logic;
  signal w_data                   : std_logic_vector(C_WW - 1 downto 0);
  signal v_valid, v_ready, v_last : std_logic;
  signal v_data                   : std_logic_vector(C_WW - 1 downto 0);

begin

  g_regwin : if not G_CFG.mem_form generate
    u_window : entity pocket_cnn.pcnn_window
      generic map (
        G_CHANNELS => G_CFG.ch_in,
        G_HEIGHT   => G_CFG.height,
        G_WIDTH    => G_CFG.width,
        G_KERNEL   => C_K,
        G_STRIDE   => G_CFG.stride,
        G_PAD      => G_CFG.pad,
        G_PAD_BYTE => G_CFG.pad_value
      )
      port map (
        clk     => clk,
        rst     => rst,
        s_valid => s_valid,
        s_ready => s_ready,
        s_data  => s_data,
        m_valid => w_valid,
        m_ready => w_ready,
        m_data  => w_data,
        m_last  => w_last
      );

    g_skid : if C_SKID generate
      signal k_in, k_data : std_logic_vector(C_WW downto 0);
    begin
      k_in <= w_last & w_data;
      u_skid : entity pocket_cnn.pcnn_skid
        generic map (G_WIDTH => C_WW + 1)
        port map (
          clk => clk, rst => rst,
          s_valid => w_valid, s_ready => w_ready, s_data => k_in,
          m_valid => v_valid, m_ready => v_ready, m_data => k_data);
      v_last <= k_data(C_WW);
      v_data <= k_data(C_WW - 1 downto 0);
    end generate g_skid;

    g_noskid : if not C_SKID generate
      v_valid <= w_valid;
      w_ready <= v_ready;
      v_data  <= w_data;
      v_last  <= w_last;
    end generate g_noskid;
  end generate g_regwin;

  g_mem : if G_CFG.mem_form generate
    signal c_valid, c_ready, c_last : std_logic;
    signal c_data                   : std_logic_vector(G_CFG.ch_out * 8 - 1 downto 0);
    signal p_valid, p_ready, p_last : std_logic;
    constant C_PW                   : positive := pcnn_max(1, G_CFG.pool_kernel) ** 2 * G_CFG.ch_out * 8;
    signal   p_data                 : std_logic_vector(C_PW - 1 downto 0);
  begin
    u_conv : entity pocket_cnn.pcnn_pe_mem
      generic map (
        G_CFG => G_CFG, G_WEIGHTS => G_WEIGHTS, G_BIAS => G_BIAS,
        G_MULT => G_MULT, G_MSHIFT => G_MSHIFT, G_TABLE => G_TABLE, G_DSP => G_DSP)
      port map (
        clk     => clk,
        rst     => rst,
        s_valid => s_valid,
        s_ready => s_ready,
        s_data  => s_data,
        m_valid => c_valid,
        m_ready => c_ready,
        m_data  => c_data,
        m_last  => c_last
      );

    g_mnopool : if G_CFG.pool_kernel = 0 or pcnn_mem_pool(G_CFG) generate
      m_valid <= c_valid;
      c_ready <= m_ready;
      m_data  <= c_data;
      m_last  <= c_last;
    end generate g_mnopool;

    g_mline : if G_CFG.pool_kernel > 0 and G_CFG.pool_stride >= G_CFG.pool_kernel and
      not pcnn_mem_pool(G_CFG) generate
      u_pool : entity pocket_cnn.pcnn_maxpool_line
        generic map (
          G_CHANNELS => G_CFG.ch_out,
          G_HEIGHT   => C_HC,
          G_WIDTH    => C_WC,
          G_KERNEL   => G_CFG.pool_kernel,
          G_STRIDE   => G_CFG.pool_stride
        )
        port map (
          clk     => clk,
          rst     => rst,
          s_valid => c_valid,
          s_ready => c_ready,
          s_data  => c_data,
          m_valid => m_valid,
          m_ready => m_ready,
          m_data  => m_data,
          m_last  => m_last
        );
    end generate g_mline;

    g_mpool : if G_CFG.pool_kernel > 0 and G_CFG.pool_stride < G_CFG.pool_kernel generate
      u_pool_window : entity pocket_cnn.pcnn_window
        generic map (
          G_CHANNELS => G_CFG.ch_out,
          G_HEIGHT   => C_HC,
          G_WIDTH    => C_WC,
          G_KERNEL   => G_CFG.pool_kernel,
          G_STRIDE   => G_CFG.pool_stride,
          G_PAD      => 0
        )
        port map (
          clk     => clk,
          rst     => rst,
          s_valid => c_valid,
          s_ready => c_ready,
          s_data  => c_data,
          m_valid => p_valid,
          m_ready => p_ready,
          m_data  => p_data,
          m_last  => p_last
        );

      u_maxpool : entity pocket_cnn.pcnn_maxpool
        generic map (G_CHANNELS => G_CFG.ch_out, G_KERNEL => G_CFG.pool_kernel)
        port map (
          clk     => clk,
          rst     => rst,
          s_valid => p_valid,
          s_ready => p_ready,
          s_data  => p_data,
          s_last  => p_last,
          m_valid => m_valid,
          m_ready => m_ready,
          m_data  => m_data,
          m_last  => m_last
        );
    end generate g_mpool;
  end generate g_mem;

  g_nopool : if not G_CFG.mem_form and G_CFG.pool_kernel = 0 generate
    u_conv : entity pocket_cnn.pcnn_conv
      generic map (
        G_CFG => G_CFG, G_WEIGHTS => G_WEIGHTS, G_BIAS => G_BIAS,
        G_MULT => G_MULT, G_MSHIFT => G_MSHIFT, G_TABLE => G_TABLE, G_DSP => G_DSP)
      port map (
        clk     => clk,
        rst     => rst,
        s_valid => v_valid,
        s_ready => v_ready,
        s_data  => v_data,
        s_last  => v_last,
        m_valid => m_valid,
        m_ready => m_ready,
        m_data  => m_data,
        m_last  => m_last
      );
  end generate g_nopool;

  g_line : if not G_CFG.mem_form and G_CFG.pool_kernel > 0 and
    G_CFG.pool_stride >= G_CFG.pool_kernel generate
    signal c_valid, c_ready, c_last : std_logic;
    signal c_data                   : std_logic_vector(G_CFG.ch_out * 8 - 1 downto 0);
  begin
    u_conv : entity pocket_cnn.pcnn_conv
      generic map (
        G_CFG => G_CFG, G_WEIGHTS => G_WEIGHTS, G_BIAS => G_BIAS,
        G_MULT => G_MULT, G_MSHIFT => G_MSHIFT, G_TABLE => G_TABLE, G_DSP => G_DSP)
      port map (
        clk     => clk,
        rst     => rst,
        s_valid => v_valid,
        s_ready => v_ready,
        s_data  => v_data,
        s_last  => v_last,
        m_valid => c_valid,
        m_ready => c_ready,
        m_data  => c_data,
        m_last  => c_last
      );

    u_pool : entity pocket_cnn.pcnn_maxpool_line
      generic map (
        G_CHANNELS => G_CFG.ch_out,
        G_HEIGHT   => C_HC,
        G_WIDTH    => C_WC,
        G_KERNEL   => G_CFG.pool_kernel,
        G_STRIDE   => G_CFG.pool_stride
      )
      port map (
        clk     => clk,
        rst     => rst,
        s_valid => c_valid,
        s_ready => c_ready,
        s_data  => c_data,
        m_valid => m_valid,
        m_ready => m_ready,
        m_data  => m_data,
        m_last  => m_last
      );
  end generate g_line;

  g_pool : if not G_CFG.mem_form and G_CFG.pool_kernel > 0 and
    G_CFG.pool_stride < G_CFG.pool_kernel generate
    constant C_PK : positive := G_CFG.pool_kernel;

    signal c_valid, c_ready, c_last : std_logic;
    signal c_data                   : std_logic_vector(G_CFG.ch_out * 8 - 1 downto 0);
    signal p_valid, p_ready, p_last : std_logic;
    signal p_data                   : std_logic_vector(C_PK * C_PK * G_CFG.ch_out * 8 - 1 downto 0);
  begin
    u_conv : entity pocket_cnn.pcnn_conv
      generic map (
        G_CFG => G_CFG, G_WEIGHTS => G_WEIGHTS, G_BIAS => G_BIAS,
        G_MULT => G_MULT, G_MSHIFT => G_MSHIFT, G_TABLE => G_TABLE, G_DSP => G_DSP)
      port map (
        clk     => clk,
        rst     => rst,
        s_valid => v_valid,
        s_ready => v_ready,
        s_data  => v_data,
        s_last  => v_last,
        m_valid => c_valid,
        m_ready => c_ready,
        m_data  => c_data,
        m_last  => c_last
      );

    u_pool_window : entity pocket_cnn.pcnn_window
      generic map (
        G_CHANNELS => G_CFG.ch_out,
        G_HEIGHT   => C_HC,
        G_WIDTH    => C_WC,
        G_KERNEL   => C_PK,
        G_STRIDE   => G_CFG.pool_stride,
        G_PAD      => 0
      )
      port map (
        clk     => clk,
        rst     => rst,
        s_valid => c_valid,
        s_ready => c_ready,
        s_data  => c_data,
        m_valid => p_valid,
        m_ready => p_ready,
        m_data  => p_data,
        m_last  => p_last
      );

    u_maxpool : entity pocket_cnn.pcnn_maxpool
      generic map (G_CHANNELS => G_CFG.ch_out, G_KERNEL => C_PK)
      port map (
        clk     => clk,
        rst     => rst,
        s_valid => p_valid,
        s_ready => p_ready,
        s_data  => p_data,
        s_last  => p_last,
        m_valid => m_valid,
        m_ready => m_ready,
        m_data  => m_data,
        m_last  => m_last
      );
  end generate g_pool;

end architecture rtl;
